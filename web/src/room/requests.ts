/**
 * The requests the holder sees above the bar: "Bob wants control" with Pass and Decline, three at
 * most and a count of the rest. Empty for everyone else.
 */
import { h, replaceChildren } from '../shared/dom.js';
import type { RoomIntents } from './intents.js';
import { avatar } from './people.js';
import { amHolder, nameOf, type RoomState } from './state.js';

const SHOWN = 3;

export class Requests {
  readonly el = h('div', { class: 'requests', 'aria-live': 'polite' });

  constructor(private readonly intents: Pick<RoomIntents, 'pass' | 'decline'>) {}

  get any(): boolean {
    return this.el.childElementCount > 0;
  }

  update(s: RoomState): void {
    const requesters = amHolder(s) ? s.requests.map((id) => ({ id, name: nameOf(s, id) ?? 'someone' })) : [];
    replaceChildren(
      this.el,
      ...requesters.slice(0, SHOWN).map((r) =>
        h(
          'div',
          { class: 'request-card' },
          avatar(r.name, {}),
          h('span', { class: 'request-text' }, h('strong', null, r.name), ' wants control'),
          h('button', { type: 'button', class: 'btn btn-sm btn-primary', onclick: () => this.intents.pass(r.id) }, 'Pass'),
          h('button', { type: 'button', class: 'btn btn-sm', onclick: () => this.intents.decline(r.id) }, 'Decline'),
        ),
      ),
      requesters.length > SHOWN ? h('div', { class: 'request-more' }, `and ${requesters.length - SHOWN} more waiting`) : null,
    );
  }
}
