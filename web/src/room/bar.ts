/**
 * The slim bar: room name, people (people.ts), who drives and the control button, then sound,
 * stats and fullscreen; and above it, the holder's pending requests (requests.ts). Its elements
 * are built once and updated in place from the state, so focus survives updates.
 */
import { h, replaceChildren } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import type { RoomIntents } from './intents.js';
import { People } from './people.js';
import { Requests } from './requests.js';
import { amHolder, amRequesting, nameOf, type RoomState } from './state.js';

export const fullscreenSupported = () => Boolean(document.fullscreenEnabled || (document as unknown as { webkitFullscreenEnabled?: boolean }).webkitFullscreenEnabled);

type MainAction = 'request' | 'cancel' | 'release';

export class Bar {
  readonly el: HTMLElement;
  readonly requestsEl: HTMLElement;
  private readonly people: People;
  private readonly requests: Requests;
  private readonly roomName = h('span', { class: 'bar-room-name' });
  private readonly live = h('span', { class: 'live-badge', hidden: true }, 'LIVE');
  private readonly status = h('span', { class: 'control-status', role: 'status', 'aria-live': 'polite' });
  private readonly mainBtn = h('button', { type: 'button', class: 'btn btn-sm control-btn' });
  private readonly takeBtn = h('button', { type: 'button', class: 'btn btn-sm btn-ghost bar-take', hidden: true }, icon('crown', 15), h('span', null, 'Take control'));
  private readonly kbdBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon kbd-btn', 'aria-label': 'Keyboard', title: 'Show the on-screen keyboard', hidden: true, 'aria-pressed': 'false' }, icon('keyboard', 20));
  private readonly muteBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon' });
  private readonly volume = h('input', { type: 'range', class: 'volume', min: 0, max: 1, step: 0.05, 'aria-label': 'Volume' });
  private readonly statsBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon', 'aria-label': 'Stream statistics', title: 'Stream statistics', 'aria-pressed': 'false' }, icon('stats', 19));
  private readonly fsBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-icon bar-icon' });
  private mainAction: MainAction = 'request';
  private state: RoomState | null = null;

  constructor(intents: RoomIntents) {
    this.people = new People(intents);
    this.requests = new Requests(intents);
    this.requestsEl = this.requests.el;
    this.mainBtn.addEventListener('click', () => intents.control(this.mainAction));
    this.takeBtn.addEventListener('click', () => intents.control('take'));
    this.kbdBtn.addEventListener('pointerdown', (ev) => ev.preventDefault()); // keep the textarea focused
    this.kbdBtn.addEventListener('click', () => intents.toggleKeyboard());
    this.muteBtn.addEventListener('click', () => intents.setMuted(!(this.state?.muted ?? true)));
    this.volume.addEventListener('input', () => intents.setVolume(Number(this.volume.value)));
    this.statsBtn.addEventListener('click', () => intents.setStats(!(this.state?.statsOpen ?? false)));
    this.fsBtn.addEventListener('click', () => intents.toggleFullscreen());
    this.fsBtn.hidden = !fullscreenSupported();

    this.el = h(
      'div',
      { class: 'bar', role: 'toolbar', 'aria-label': 'Room controls' },
      h('div', { class: 'bar-group bar-title' }, this.live, this.roomName),
      h('div', { class: 'bar-group bar-people' }, ...this.people.els),
      h('div', { class: 'bar-group bar-control' }, this.status, this.mainBtn, this.takeBtn),
      h('div', { class: 'bar-spacer' }),
      h('div', { class: 'bar-group bar-media' }, this.kbdBtn, h('div', { class: 'volume-wrap' }, this.muteBtn, this.volume), this.statsBtn, this.fsBtn),
    );
  }

  update(s: RoomState): void {
    this.state = s;
    this.roomName.textContent = s.room.name;
    this.roomName.title = s.room.name;
    this.live.hidden = !(s.roomState === 'live' && s.player === 'playing');
    this.people.update(s);
    this.updateControl(s);
    this.requests.update(s);
    this.updateMedia(s);
  }

  /** A button of another view (the clipboard's), first among the media buttons. */
  addMediaButton(button: HTMLElement): void {
    this.kbdBtn.before(button);
  }

  /** Something in the bar needs the user (a request, an open popover, focus inside). */
  get needsAttention(): boolean {
    return this.requests.any || this.people.open || this.el.contains(document.activeElement);
  }

  private updateControl(s: RoomState): void {
    const holderName = nameOf(s, s.holder);
    const connected = s.channel === 'open' && s.me !== null;
    const text = (...parts: (string | HTMLElement)[]) => {
      const el = h('span', { class: 'status-text' }, ...parts);
      el.title = el.textContent ?? '';
      return el;
    };
    if (!connected) {
      replaceChildren(this.status, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text(s.channel === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'));
    } else if (amHolder(s)) {
      replaceChildren(this.status, h('span', { class: 'drive-dot', 'aria-hidden': 'true' }), text(h('strong', null, 'You are driving')));
    } else if (amRequesting(s)) {
      replaceChildren(this.status, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text(holderName ? `Waiting for ${holderName}…` : 'Asking for control…'));
    } else if (holderName) {
      replaceChildren(this.status, icon('pointer', 15), text(h('strong', null, holderName), ' is driving'));
    } else {
      replaceChildren(this.status, text('Nobody is driving'));
    }
    this.mainBtn.hidden = !connected;
    if (amHolder(s)) this.setMain('release', 'Release', 'btn-sm control-btn', 'x');
    else if (amRequesting(s)) this.setMain('cancel', 'Cancel request', 'btn-sm control-btn');
    else this.setMain('request', s.holder ? 'Request control' : 'Take control', 'btn-sm btn-primary control-btn', 'hand');
    this.takeBtn.hidden = !(connected && s.me?.isAdmin && s.holder !== null && !amHolder(s));
  }

  private updateMedia(s: RoomState): void {
    this.kbdBtn.hidden = !(amHolder(s) && s.input === 'on');
    this.kbdBtn.setAttribute('aria-pressed', String(s.keyboardOpen));
    const muted = s.muted || s.volume === 0;
    replaceChildren(this.muteBtn, icon(muted ? 'volumeOff' : 'volume', 20));
    this.muteBtn.setAttribute('aria-label', muted ? 'Unmute' : 'Mute');
    this.muteBtn.title = muted ? 'Unmute' : 'Mute';
    if (document.activeElement !== this.volume) this.volume.value = String(muted ? 0 : s.volume);
    this.statsBtn.setAttribute('aria-pressed', String(s.statsOpen));
    replaceChildren(this.fsBtn, icon(s.fullscreen ? 'minimize' : 'maximize', 19));
    this.fsBtn.setAttribute('aria-label', s.fullscreen ? 'Exit full screen' : 'Full screen');
    this.fsBtn.title = s.fullscreen ? 'Exit full screen' : 'Full screen';
  }

  private setMain(action: MainAction, label: string, cls: string, iconName?: 'hand' | 'x'): void {
    this.mainAction = action;
    this.mainBtn.className = `btn ${cls}`;
    replaceChildren(this.mainBtn, iconName ? icon(iconName, 16) : null, h('span', null, label));
  }
}
