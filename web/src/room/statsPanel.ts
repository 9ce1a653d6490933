/**
 * The stream statistics panel: the path the player chose (and why the better ones were passed
 * over), picture and room size, fps, delay, dropped frames, input and channel. Redrawn every
 * second while open, from the state and the player's live figures.
 */
import { h, replaceChildren } from '../shared/dom.js';
import { formatDelay } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import type { PlayerStats } from '../player/playerTypes.js';
import type { RoomIntents } from './intents.js';
import type { RoomState } from './state.js';

const REFRESH_MS = 1000;

export class StatsPanel {
  private timer: number | null = null;
  private state: RoomState | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly figures: () => PlayerStats,
    private readonly intents: Pick<RoomIntents, 'setStats'>,
  ) {}

  update(s: RoomState): void {
    this.state = s;
    const open = s.statsOpen && s.ended === null;
    this.el.hidden = !s.statsOpen;
    if (open && this.timer === null) this.timer = window.setInterval(() => this.draw(), REFRESH_MS);
    if (!open && this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
    if (open) this.draw();
  }

  private draw(): void {
    const s = this.state;
    if (!s) return;
    const f = this.figures();
    const cfg = s.room.config;
    const row = (k: string, val: string) => [h('dt', null, k), h('dd', null, val)];
    replaceChildren(
      this.el,
      h('div', { class: 'stats-head' }, h('strong', null, 'Stream'), h('button', { type: 'button', class: 'btn btn-ghost btn-icon btn-sm', 'aria-label': 'Close statistics', onclick: () => this.intents.setStats(false) }, icon('x', 16))),
      h(
        'dl',
        null,
        ...row('path', s.path ? `${s.path.label}${s.path.why ? ` · ${s.path.why}` : ''}` : '—'),
        ...row('picture', f.width ? `${f.width}×${f.height}` : '—'),
        ...row('room', `${cfg.width}×${cfg.height} @ ${cfg.fps} fps`),
        ...row('fps', f.fps !== null ? `${f.fps}` : '—'),
        ...row('delay', formatDelay(f.kind, f.delayMs)),
        ...row('dropped', f.droppedFrames !== null ? `${f.droppedFrames} frames` : '—'),
        ...row('input', s.input === 'on' ? 'connected (you drive)' : s.input === 'connecting' ? 'connecting…' : 'off (view only)'),
        ...row('channel', s.channel),
      ),
    );
  }
}
