/**
 * The card over the picture when there is no picture to show: the room is stopped (by its host,
 * its time limit) or starting again after an idle stop, the browser cannot play, playback waits
 * for a tap, the stream stalled, part of the room failed, or it is on its way. Redrawn only when what it says changes.
 */
import { h, replaceChildren } from '../shared/dom.js';
import { icon, type IconName } from '../shared/icons.js';
import { failureSentence, roleName } from '../shared/status.js';
import type { Room } from '../shared/types.js';
import type { RoomIntents } from './intents.js';
import { wantsPicture, type RoomState } from './state.js';

export class Overlay {
  private shownKey = '';

  constructor(
    private readonly el: HTMLElement,
    /** Gets `dimmed` while the stream stalls. */
    private readonly app: HTMLElement,
    private readonly intents: Pick<RoomIntents, 'resume'>,
  ) {}

  update(s: RoomState): void {
    const { key, content } = this.card(s);
    this.app.classList.toggle('dimmed', key === 'stalled');
    if (key === this.shownKey) return;
    this.shownKey = key;
    replaceChildren(this.el, content);
    this.el.hidden = content === null;
  }

  private card(s: RoomState): { key: string; content: HTMLElement | null } {
    const failure = failureSentence({ status: { ...s.room.status, state: s.roomState as Room['status']['state'] } });
    if (s.wake === 'refused') return { key: 'wake-refused', content: card('alert', 'This room cannot start right now', refusalText(s.wakeRefusal), 'danger') };
    if (s.roomState === 'stopped' && s.stopReason === 'idle') return { key: 'waking', content: card(null, 'Starting…', WAKING_TEXT) };
    if (!wantsPicture(s) && s.stopReason === 'time-limit') return { key: 'time-limit', content: card('stop', 'This room reached its time limit', 'The host can start it again. You can leave this page open.') };
    if (!wantsPicture(s)) return { key: 'stopped', content: card('stop', 'This room is stopped', 'The picture comes back when the host starts it again. You can leave this page open.') };
    if (s.player === 'unsupported') return { key: 'unsupported', content: card('alert', 'This browser cannot play the stream', 'Try a current Firefox, Chrome, Edge or Safari.') };
    if (s.player === 'blocked') {
      const btn = h('button', { type: 'button', class: 'btn btn-primary big-play', onclick: () => this.intents.resume() }, icon('play', 22), 'Start watching');
      return { key: 'blocked', content: h('div', { class: 'overlay-card' }, btn, h('p', null, 'Your browser waits for a tap before it plays video.')) };
    }
    if (s.player === 'stalled') return { key: 'stalled', content: card(null, 'Reconnecting to the stream…', s.roomState === 'restarting' ? `${roleName(s.room.status.failure?.role)} is restarting.` : 'The picture stopped arriving; it resumes by itself.') };
    if (s.player === 'playing') return { key: '', content: null };
    if (s.roomState === 'failed') return { key: 'failed', content: card('alert', 'Part of this room failed', `${failure ?? 'It stopped working.'} The host sees the details on the dashboard; the picture returns when it runs again.`, 'danger') };
    if (s.wake === 'woken') return { key: 'woken', content: card(null, 'Starting…', WAKING_TEXT) };
    const text =
      s.roomState === 'starting'
        ? 'The room is starting. The picture appears in a few seconds.'
        : s.roomState === 'restarting'
          ? 'Part of the room is restarting. The picture comes back by itself.'
          : 'Connecting to the picture…';
    return { key: `waiting-${s.roomState}`, content: card(null, 'Waiting for the stream', text) };
  }
}

const WAKING_TEXT = 'Nobody was here, so the room was stopped to save resources. It is starting again for you: the picture appears in a few seconds.';

function refusalText(r: RoomState['wakeRefusal']): string {
  if (r?.code === 'capacity_exceeded') return `The host is running as many rooms as it can take (${r.message}). Try again later, or ask the host.`;
  const why = r?.message ? `${r.message.charAt(0).toUpperCase()}${r.message.slice(1)}.` : 'It was refused.';
  return `${why} Ask the host to start it.`;
}

function card(iconName: IconName | null, title: string, text: string, tone?: 'danger'): HTMLElement {
  return h('div', { class: 'overlay-card', role: 'status' }, iconName ? h('div', { class: `overlay-icon${tone ? ` tone-${tone}` : ''}` }, icon(iconName, 26)) : h('span', { class: 'spinner big', 'aria-hidden': 'true' }), h('h2', null, title), h('p', null, text));
}
