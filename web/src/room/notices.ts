/**
 * The notices over the picture: reconnecting, the idle countdown, the room's time limit, input trouble, "Tap to unmute"
 * and the short flashes the reducer adds (control moved, errors). Keyed and updated in place, so a
 * countdown does not restart their animation; the countdown ticks here while a deadline is set.
 */
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import type { RoomIntents } from './intents.js';
import { amHolder, wantsPicture, type RoomState } from './state.js';

interface Notice {
  key: string;
  cls: string;
  lead: () => Element;
  text: string;
  role?: string;
  onclick?: () => void;
}

const TICK_MS = 250;

export class Notices {
  private readonly shown = new Map<string, { el: HTMLElement; text: HTMLElement }>();
  private ticker: number | null = null;
  private state: RoomState | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly intents: Pick<RoomIntents, 'setMuted'>,
  ) {}

  update(s: RoomState): void {
    this.state = s;
    const counting = (s.idleDeadline !== null || s.timeLimitAt !== null) && s.ended === null;
    if (counting && this.ticker === null) this.ticker = window.setInterval(() => this.state && this.draw(this.state), TICK_MS);
    if (!counting && this.ticker !== null) {
      window.clearInterval(this.ticker);
      this.ticker = null;
    }
    this.draw(s);
  }

  private draw(s: RoomState): void {
    const items = this.items(s);
    const keep = new Set(items.map((n) => n.key));
    for (const [key, n] of this.shown) {
      if (!keep.has(key)) {
        n.el.remove();
        this.shown.delete(key);
      }
    }
    items.forEach((n, i) => {
      let entry = this.shown.get(n.key);
      if (!entry) {
        const text = h('span', null, n.text);
        const el = n.onclick
          ? h('button', { type: 'button', class: `notice ${n.cls}`, onclick: n.onclick }, n.lead(), text)
          : h('div', { class: `notice ${n.cls}`, ...(n.role ? { role: n.role } : {}) }, n.lead(), text);
        entry = { el, text };
        this.shown.set(n.key, entry);
      } else if (entry.text.textContent !== n.text) entry.text.textContent = n.text;
      if (this.el.children[i] !== entry.el) this.el.insertBefore(entry.el, this.el.children[i] ?? null);
    });
  }

  private items(s: RoomState): Notice[] {
    const items: Notice[] = [];
    const spinner = () => h('span', { class: 'spinner', 'aria-hidden': 'true' });
    if (s.channel === 'reconnecting') items.push({ key: 'reconnecting', cls: 'notice-warn', lead: spinner, text: 'Reconnecting…' });
    if (s.idleDeadline !== null && amHolder(s)) {
      const left = Math.max(0, Math.ceil((s.idleDeadline - performance.now()) / 1000));
      items.push({ key: 'idle', cls: 'notice-warn notice-strong', lead: () => icon('alert', 18), text: `You will lose control in ${left} s — move the mouse to keep it`, role: 'alert' });
    }
    if (s.timeLimitAt !== null && wantsPicture(s)) {
      const ms = Math.max(0, s.timeLimitAt - Date.now());
      const left = ms >= 60_000 ? `${Math.ceil(ms / 60_000)} min` : `${Math.ceil(ms / 1000)} s`;
      items.push({ key: 'time-limit', cls: 'notice-warn', lead: () => icon('clock', 18), text: `This room stops in ${left} (its time limit)`, role: 'alert' });
    }
    if (s.inputTrouble && amHolder(s) && s.player === 'playing') items.push({ key: 'input', cls: 'notice-warn', lead: spinner, text: 'Your mouse and keyboard cannot reach the room. Retrying…' });
    if (s.autoplayMuted && s.muted && s.player === 'playing') {
      items.push({ key: 'unmute', cls: 'unmute', lead: () => icon('volumeOff', 18), text: 'Tap to unmute', onclick: () => this.intents.setMuted(false) });
    }
    for (const f of s.flashes) items.push({ key: `flash-${f.id}`, cls: `notice-${f.tone}`, lead: () => icon(f.icon, 17), text: f.text });
    return items;
  }
}
