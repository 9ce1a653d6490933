/**
 * The slim bar: room name, people, who drives and the control button, then sound, stats and
 * fullscreen. Its elements are built once and updated in place, so focus survives updates.
 */
import { h, replaceChildren } from '../shared/dom.js';
import { initials, personColor } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import { amHolder, amRequesting, nameOf, type RoomView } from './view.js';

export interface BarActions {
  control(action: 'request' | 'cancel' | 'release' | 'take'): void;
  pass(to: string): void;
  /** The admin removes someone (and, in a password room, revokes their access). */
  remove(id: string, name: string): void;
  decline(to: string): void;
  setMuted(muted: boolean): void;
  setVolume(level: number): void;
  toggleStats(): void;
  toggleFullscreen(): void;
  toggleKeyboard(): void;
  rename(): void;
}

export const fullscreenSupported = () => Boolean(document.fullscreenEnabled || (document as unknown as { webkitFullscreenEnabled?: boolean }).webkitFullscreenEnabled);

export class Bar {
  readonly el: HTMLElement;
  readonly requestsEl: HTMLElement;
  private readonly roomName = h('span', { class: 'bar-room-name' });
  private readonly live = h('span', { class: 'live-badge', hidden: true }, 'LIVE');
  private readonly peopleBtn: HTMLButtonElement;
  private readonly avatars = h('span', { class: 'avatars', 'aria-hidden': 'true' });
  private readonly peopleCount = h('span', { class: 'people-count' });
  private readonly popover: HTMLElement;
  private readonly status = h('span', { class: 'control-status', role: 'status', 'aria-live': 'polite' });
  private readonly mainBtn = h('button', { type: 'button', class: 'btn btn-sm control-btn' });
  private readonly takeBtn = h('button', { type: 'button', class: 'btn btn-sm btn-ghost bar-take', hidden: true }, icon('crown', 15), h('span', null, 'Take control'));
  private readonly kbdBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon kbd-btn', 'aria-label': 'Keyboard', title: 'Show the on-screen keyboard', hidden: true, 'aria-pressed': 'false' }, icon('keyboard', 20));
  private readonly muteBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon' });
  private readonly volume = h('input', { type: 'range', class: 'volume', min: 0, max: 1, step: 0.05, 'aria-label': 'Volume' });
  private readonly statsBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon', 'aria-label': 'Stream statistics', title: 'Stream statistics', 'aria-pressed': 'false' }, icon('stats', 19));
  private readonly fsBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon' });
  private mainAction: 'request' | 'cancel' | 'release' = 'request';
  private view: RoomView | null = null;

  constructor(private readonly actions: BarActions) {
    this.peopleBtn = h('button', { type: 'button', class: 'people', 'aria-haspopup': 'dialog', 'aria-expanded': 'false' }, this.avatars, this.peopleCount);
    this.popover = h('div', { class: 'popover people-popover', role: 'dialog', 'aria-label': 'People in this room', hidden: true });
    this.peopleBtn.addEventListener('click', () => this.togglePopover());
    document.addEventListener('pointerdown', (ev) => {
      if (!this.popover.hidden && !this.popover.contains(ev.target as Node) && !this.peopleBtn.contains(ev.target as Node)) this.togglePopover(false);
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !this.popover.hidden) {
        this.togglePopover(false);
        this.peopleBtn.focus();
      }
    });
    this.mainBtn.addEventListener('click', () => actions.control(this.mainAction));
    this.takeBtn.addEventListener('click', () => actions.control('take'));
    this.kbdBtn.addEventListener('pointerdown', (ev) => ev.preventDefault()); // keep the textarea focused
    this.kbdBtn.addEventListener('click', () => actions.toggleKeyboard());
    this.muteBtn.addEventListener('click', () => actions.setMuted(!(this.view?.muted ?? true)));
    this.volume.addEventListener('input', () => actions.setVolume(Number(this.volume.value)));
    this.statsBtn.addEventListener('click', () => actions.toggleStats());
    this.fsBtn.addEventListener('click', () => actions.toggleFullscreen());
    this.fsBtn.hidden = !fullscreenSupported();

    this.requestsEl = h('div', { class: 'requests', 'aria-live': 'polite' });
    this.el = h(
      'div',
      { class: 'bar', role: 'toolbar', 'aria-label': 'Room controls' },
      h('div', { class: 'bar-group bar-title' }, this.live, this.roomName),
      h('div', { class: 'bar-group bar-people' }, this.peopleBtn, this.popover),
      h('div', { class: 'bar-group bar-control' }, this.status, this.mainBtn, this.takeBtn),
      h('div', { class: 'bar-spacer' }),
      h('div', { class: 'bar-group bar-media' }, this.kbdBtn, h('div', { class: 'volume-wrap' }, this.muteBtn, this.volume), this.statsBtn, this.fsBtn),
    );
  }

  update(v: RoomView): void {
    this.view = v;
    this.roomName.textContent = v.room.name;
    this.roomName.title = v.room.name;
    this.live.hidden = !(v.roomState === 'live' && v.player === 'playing');

    // People
    const people = [...v.participants].sort((a, b) => Number(b.id === v.holder) - Number(a.id === v.holder));
    const shown = people.slice(0, 4);
    replaceChildren(
      this.avatars,
      ...shown.map((p) => avatar(p.name, { holder: p.id === v.holder, me: p.id === v.me?.id })),
      people.length > shown.length ? h('span', { class: 'avatar more' }, `+${people.length - shown.length}`) : null,
    );
    this.peopleCount.textContent = String(people.length);
    this.peopleBtn.setAttribute('aria-label', `${people.length} ${people.length === 1 ? 'person' : 'people'} here; show who`);
    if (!this.popover.hidden) this.renderPopover();

    // Control
    const holderName = nameOf(v, v.holder);
    const connected = v.channel === 'open' && v.me !== null;
    const text = (...parts: (string | HTMLElement)[]) => {
      const el = h('span', { class: 'status-text' }, ...parts);
      el.title = el.textContent ?? '';
      return el;
    };
    if (!connected) {
      replaceChildren(this.status, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text(v.channel === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'));
    } else if (amHolder(v)) {
      replaceChildren(this.status, h('span', { class: 'drive-dot', 'aria-hidden': 'true' }), text(h('strong', null, 'You are driving')));
    } else if (amRequesting(v)) {
      replaceChildren(this.status, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text(holderName ? `Waiting for ${holderName}…` : 'Asking for control…'));
    } else if (holderName) {
      replaceChildren(this.status, icon('pointer', 15), text(h('strong', null, holderName), ' is driving'));
    } else {
      replaceChildren(this.status, text('Nobody is driving'));
    }
    this.mainBtn.hidden = !connected;
    if (amHolder(v)) this.setMain('release', 'Release', 'btn-sm control-btn', 'x');
    else if (amRequesting(v)) this.setMain('cancel', 'Cancel request', 'btn-sm control-btn');
    else this.setMain('request', v.holder ? 'Request control' : 'Take control', 'btn-sm btn-primary control-btn', 'hand');
    this.takeBtn.hidden = !(connected && v.me?.isAdmin && v.holder !== null && !amHolder(v));

    // Requests, seen by the holder
    const requesters = amHolder(v) ? v.requests.map((id) => ({ id, name: nameOf(v, id) ?? 'someone' })) : [];
    replaceChildren(
      this.requestsEl,
      ...requesters.slice(0, 3).map((r) =>
        h(
          'div',
          { class: 'request-card' },
          avatar(r.name, {}),
          h('span', { class: 'request-text' }, h('strong', null, r.name), ' wants control'),
          h('button', { type: 'button', class: 'btn btn-sm btn-primary', onclick: () => this.actions.pass(r.id) }, 'Pass'),
          h('button', { type: 'button', class: 'btn btn-sm', onclick: () => this.actions.decline(r.id) }, 'Decline'),
        ),
      ),
      requesters.length > 3 ? h('div', { class: 'request-more' }, `and ${requesters.length - 3} more waiting`) : null,
    );

    // Media
    this.kbdBtn.hidden = !(amHolder(v) && v.input === 'on');
    this.kbdBtn.setAttribute('aria-pressed', String(v.keyboardOpen));
    const muted = v.muted || v.volume === 0;
    replaceChildren(this.muteBtn, icon(muted ? 'volumeOff' : 'volume', 20));
    this.muteBtn.setAttribute('aria-label', muted ? 'Unmute' : 'Mute');
    this.muteBtn.title = muted ? 'Unmute' : 'Mute';
    if (document.activeElement !== this.volume) this.volume.value = String(muted ? 0 : v.volume);
    this.statsBtn.setAttribute('aria-pressed', String(v.statsOpen));
    replaceChildren(this.fsBtn, icon(v.fullscreen ? 'minimize' : 'maximize', 19));
    this.fsBtn.setAttribute('aria-label', v.fullscreen ? 'Exit full screen' : 'Full screen');
    this.fsBtn.title = v.fullscreen ? 'Exit full screen' : 'Full screen';
  }

  /** Something in the bar needs the user (a request, an open popover, focus inside). */
  get needsAttention(): boolean {
    return this.requestsEl.childElementCount > 0 || !this.popover.hidden || this.el.contains(document.activeElement);
  }

  private setMain(action: 'request' | 'cancel' | 'release', label: string, cls: string, iconName?: 'hand' | 'x'): void {
    this.mainAction = action;
    this.mainBtn.className = `btn ${cls}`;
    replaceChildren(this.mainBtn, iconName ? icon(iconName, 16) : null, h('span', null, label));
  }

  private togglePopover(open = this.popover.hidden): void {
    this.popover.hidden = !open;
    this.peopleBtn.setAttribute('aria-expanded', String(open));
    if (open) this.renderPopover();
  }

  private renderPopover(): void {
    const v = this.view;
    if (!v) return;
    const rows = [...v.participants]
      .sort((a, b) => Number(b.id === v.holder) - Number(a.id === v.holder) || Number(b.id === v.me?.id) - Number(a.id === v.me?.id))
      .map((p) => {
        const tags = [p.id === v.holder ? 'driving' : null, v.requests.includes(p.id) ? 'wants control' : null, p.isAdmin ? 'admin' : null].filter(Boolean) as string[];
        return h(
          'li',
          null,
          avatar(p.name, { holder: p.id === v.holder, me: p.id === v.me?.id }),
          h('span', { class: 'person' }, h('span', { class: 'person-name' }, p.name, p.id === v.me?.id ? h('span', { class: 'muted' }, ' (you)') : null), tags.length ? h('span', { class: 'person-tags' }, tags.join(' · ')) : null),
          p.id === v.me?.id
            ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', onclick: () => this.actions.rename() }, icon('pencil', 14), 'Rename')
            : amHolder(v)
              ? h('button', { type: 'button', class: 'btn btn-sm', onclick: () => this.actions.pass(p.id) }, 'Pass control')
              : null,
          v.me?.isAdmin && p.id !== v.me.id && !p.isAdmin ? h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'aria-label': `Remove ${p.name}`, title: 'Remove from the room', onclick: () => this.actions.remove(p.id, p.name) }, icon('x', 14)) : null,
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
