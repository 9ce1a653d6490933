/**
 * Who is here: the avatars button in the bar and its popover listing everyone, with who drives,
 * who asked, who is admin, and what this participant may do about each (rename themselves, pass
 * control while driving, remove someone as admin). Rendered from the state; sends intents.
 */
import { h, replaceChildren } from '../shared/dom.js';
import { initials, personColor } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import type { RoomIntents } from './intents.js';
import { amHolder, type RoomState } from './state.js';

export class People {
  /** The button and its popover, side by side in the bar. */
  readonly els: HTMLElement[];
  private readonly button: HTMLButtonElement;
  private readonly avatars = h('span', { class: 'avatars', 'aria-hidden': 'true' });
  private readonly count = h('span', { class: 'people-count' });
  private readonly popover: HTMLElement;
  private state: RoomState | null = null;

  constructor(private readonly intents: Pick<RoomIntents, 'pass' | 'remove' | 'rename'>) {
    this.button = h('button', { type: 'button', class: 'people', 'aria-haspopup': 'dialog', 'aria-expanded': 'false' }, this.avatars, this.count);
    this.popover = h('div', { class: 'popover people-popover', role: 'dialog', 'aria-label': 'People in this room', hidden: true });
    this.els = [this.button, this.popover];
    this.button.addEventListener('click', () => this.toggle());
    document.addEventListener('pointerdown', (ev) => {
      if (!this.popover.hidden && !this.popover.contains(ev.target as Node) && !this.button.contains(ev.target as Node)) this.toggle(false);
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !this.popover.hidden) {
        this.toggle(false);
        this.button.focus();
      }
    });
  }

  get open(): boolean {
    return !this.popover.hidden;
  }

  update(s: RoomState): void {
    this.state = s;
    const people = [...s.participants].sort((a, b) => Number(b.id === s.holder) - Number(a.id === s.holder));
    const shown = people.slice(0, 4);
    replaceChildren(
      this.avatars,
      ...shown.map((p) => avatar(p.name, { holder: p.id === s.holder, me: p.id === s.me?.id })),
      people.length > shown.length ? h('span', { class: 'avatar more' }, `+${people.length - shown.length}`) : null,
    );
    this.count.textContent = String(people.length);
    this.button.setAttribute('aria-label', `${people.length} ${people.length === 1 ? 'person' : 'people'} here; show who`);
    if (this.open) this.renderPopover();
  }

  private toggle(open = this.popover.hidden): void {
    this.popover.hidden = !open;
    this.button.setAttribute('aria-expanded', String(open));
    if (open) this.renderPopover();
  }

  private renderPopover(): void {
    const s = this.state;
    if (!s) return;
    const rows = [...s.participants]
      .sort((a, b) => Number(b.id === s.holder) - Number(a.id === s.holder) || Number(b.id === s.me?.id) - Number(a.id === s.me?.id))
      .map((p) => {
        const tags = [p.id === s.holder ? 'driving' : null, s.requests.includes(p.id) ? 'wants control' : null, p.isAdmin ? 'admin' : null].filter(Boolean) as string[];
        return h(
          'li',
          null,
          avatar(p.name, { holder: p.id === s.holder, me: p.id === s.me?.id }),
          h('span', { class: 'person' }, h('span', { class: 'person-name' }, p.name, p.id === s.me?.id ? h('span', { class: 'muted' }, ' (you)') : null), tags.length ? h('span', { class: 'person-tags' }, tags.join(' · ')) : null),
          p.id === s.me?.id
            ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', onclick: () => this.intents.rename() }, icon('pencil', 14), 'Rename')
            : amHolder(s)
              ? h('button', { type: 'button', class: 'btn btn-sm', onclick: () => this.intents.pass(p.id) }, 'Pass control')
              : null,
          s.me?.isAdmin && p.id !== s.me.id && !p.isAdmin ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'aria-label': `Remove ${p.name}`, title: 'Remove from the room', onclick: () => this.intents.remove(p.id, p.name) }, icon('x', 14)) : null,
        );
      });
    replaceChildren(this.popover, h('h2', null, 'In this room'), h('ul', null, ...rows));
  }
}

export function avatar(name: string, opts: { holder?: boolean; me?: boolean }): HTMLElement {
  return h(
    'span',
    { class: `avatar${opts.holder ? ' holder' : ''}${opts.me ? ' me' : ''}`, style: { background: personColor(name) }, title: `${name}${opts.me ? ' (you)' : ''}${opts.holder ? ', driving' : ''}` },
    initials(name),
    opts.holder ? h('span', { class: 'holder-badge' }, icon('pointer', 9)) : null,
  );
}
