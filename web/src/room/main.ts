/**
 * The room page (/rooms/:id). Flow: configuration (password prompt on 401, "not found" on 404)
 * -> a display name (asked once, remembered) -> the room: the live player, the room channel
 * (presence, control, cursors) and, while this participant drives, noVNC over the picture.
 */
import '../shared/base.css';
import './room.css';
import { api, ApiError } from '../shared/api.js';
import { $, h, replaceChildren, throttle } from '../shared/dom.js';
import { openDialog } from '../shared/dialog.js';
import { icon, type IconName } from '../shared/icons.js';
import { failureSentence, roleName } from '../shared/status.js';
import { formatDelay } from '../shared/format.js';
import type { PlaybackSource, Room } from '../shared/types.js';
import { Player } from '../player/player.js';
import { Bar } from './bar.js';
import { endedByHost, removeParticipant } from './removal.js';
import { RoomChannel, type ServerMessage } from './channel.js';
import { containRect, normalizePoint, snapRect, type Rect } from './contentRect.js';
import { CursorLayer } from './cursors.js';
import { RemoteInput } from './remoteInput.js';
import { messageScreen, namePrompt, NAME_MAX, passwordPrompt, storedName, storeName } from './screens.js';
import { TouchKeyboard } from './touchKeyboard.js';
import { amHolder, amRequesting, nameOf, type RoomView } from './view.js';

const ROOM_PATH = /^\/rooms\/([a-z2-7]{24})\/?$/;
const VOLUME_KEY = 'streambox.volume';
const BAR_HIDE_MS = 2800;
const CURSOR_SEND_MS = 50; // ~20 per second
/** Phones and tablets: bar at the top, touch-first. Same query as room.css. */
const TOUCH_LAYOUT = '(pointer: coarse), (max-width: 640px)';

const app = $('#app');

function show(el: HTMLElement): void {
  replaceChildren(app, el);
}

function loadingScreen(text: string): HTMLElement {
  return h('div', { class: 'screen' }, h('div', { class: 'screen-loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text));
}

function notFound(): void {
  document.title = 'Room not found · streambox';
  show(messageScreen({ icon: 'search', title: 'Room not found', text: 'The link may be mistyped, or the room was deleted. Ask whoever sent it for a new one.' }));
}

/** GET the configuration; handles the password prompt. Null means the room does not exist. */
async function loadRoom(id: string): Promise<Room | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api<Room>('GET', `/api/rooms/${id}/configuration`);
    } catch (err) {
      const e = err as ApiError;
      if (e.status === 404 || e.status === 400) return null;
      if (e.status === 401 && e.code === 'room_password_required') {
        document.title = 'Password · streambox';
        const prompt = passwordPrompt(async (password) => {
          try {
            await api('POST', `/api/rooms/${id}/join`, { password });
          } catch (joinErr) {
            const j = joinErr as ApiError;
            if (j.status === 401) throw new Error('Wrong password.');
            if (j.status === 429) throw new Error(`Too many attempts. Try again in ${j.retryAfter ?? 30} s.`);
            if (j.status === 404) throw new Error('This room no longer exists.');
            throw new Error(j.message);
          }
        });
        show(prompt.el);
        await prompt.done;
        show(loadingScreen('Joining…'));
        continue;
      }
      show(loadingScreen(e.status === 0 ? 'Cannot reach streambox. Retrying…' : `The room cannot be loaded (${e.message}). Retrying…`));
      await new Promise((r) => window.setTimeout(r, Math.min(8000, 1000 * 2 ** attempt)));
    }
  }
}

async function start(): Promise<void> {
  const match = ROOM_PATH.exec(location.pathname);
  if (!match) return notFound();
  const id = match[1]!;
  show(loadingScreen('Connecting…'));
  const room = await loadRoom(id);
  if (!room) return notFound();
  document.title = `${room.name} · streambox`;
  let name = storedName();
  if (!name) {
    const prompt = namePrompt(room.name);
    show(prompt.el);
    name = await prompt.done;
    storeName(name);
  }
  new RoomPage(room, name).mount();
}

class RoomPage {
  private readonly view: RoomView;
  private readonly stage = h('div', { class: 'stage' });
  private readonly media = h('div', { class: 'media-host' });
  private readonly content = h('div', { class: 'content' });
  private readonly rfbTarget = h('div', { class: 'rfb-target' });
  private readonly cursorEl = h('div', { class: 'cursors', 'aria-hidden': 'true' });
  private readonly overlay = h('div', { class: 'overlay' });
  private readonly notices = h('div', { class: 'notices' });
  private readonly stats = h('div', { class: 'stats', hidden: true, 'aria-label': 'Stream statistics' });
  private readonly handle = h('button', { type: 'button', class: 'bar-handle', 'aria-label': 'Show controls', hidden: true }, icon('chevronDown', 18));
  private readonly kbdField = h('textarea', { class: 'kbd-input', 'aria-label': 'Type into the room', autocapitalize: 'off', autocomplete: 'off', spellcheck: false, tabindex: -1 }) as HTMLTextAreaElement;
  private readonly dock = h('div', { class: 'dock' });
  private readonly player: Player;
  private readonly input: RemoteInput;
  private readonly channel: RoomChannel;
  private readonly cursors: CursorLayer;
  private readonly bar: Bar;
  private readonly keyboard: TouchKeyboard;
  private rect: Rect = { x: 0, y: 0, width: 0, height: 0 };
  private barTimer: number | null = null;
  private overBar = false;
  private tokenInflight = false;
  private inputRetry: number | null = null;
  private inputFailures = 0;
  private flashes: { id: number; text: string; icon: IconName; tone: string }[] = [];
  private flashSeq = 0;
  private statsTimer: number | null = null;
  private idleTimer: number | null = null;
  private overlayKey = '';
  private releasing = false;
  /** The first state after a (re)connection describes the room as found, not a change. */
  private freshState = true;
  private cancelling = false;
  private readonly touchLayout = window.matchMedia(TOUCH_LAYOUT);

  constructor(room: Room, private name: string) {
    let volume = 1;
    try {
      const stored = Number(localStorage.getItem(VOLUME_KEY));
      if (localStorage.getItem(VOLUME_KEY) !== null && Number.isFinite(stored)) volume = Math.min(1, Math.max(0, stored));
    } catch {
      // default
    }
    // Sound on if the browser lets us (a gesture on this page, e.g. the name prompt, usually does).
    const canSound = (navigator as Navigator & { userActivation?: { hasBeenActive: boolean } }).userActivation?.hasBeenActive ?? false;
    this.view = {
      room,
      roomState: room.status.state,
      channel: 'connecting',
      me: null,
      holder: null,
      requests: [],
      participants: [],
      player: 'idle',
      input: 'off',
      inputTrouble: false,
      idleDeadline: null,
      muted: !canSound,
      autoplayMuted: !canSound,
      volume,
      statsOpen: false,
      fullscreen: false,
      keyboardOpen: false,
    };
    this.player = new Player(this.media, {
      muted: this.view.muted,
      onState: (s) => {
        this.view.player = s;
        this.render();
      },
      onMediaSize: () => this.layout(),
      onAutoplayMuted: () => {
        this.view.muted = true;
        this.view.autoplayMuted = true;
        this.render();
      },
      forcePath: forcedPath(),
    });
    this.player.setVolume(volume);
    this.input = new RemoteInput(this.rfbTarget, {
      onState: (s) => {
        this.view.input = s;
        if (s === 'on') {
          this.inputFailures = 0;
          this.view.inputTrouble = false;
        }
        this.render();
      },
      onLost: () => {
        if (!amHolder(this.view)) return;
        this.inputFailures++;
        if (this.inputFailures >= 2) this.view.inputTrouble = true;
        this.retryInput();
        this.render();
      },
    });
    this.cursors = new CursorLayer(this.cursorEl);
    this.channel = new RoomChannel(room.id, name, {
      onMessage: (m) => this.onMessage(m),
      onStatus: (status) => {
        this.view.channel = status;
        if (status !== 'open') {
          this.freshState = true;
          // A new connection is a new participant: what we held is gone.
          this.view.me = null;
          this.view.holder = null;
          this.view.requests = [];
          this.view.idleDeadline = null;
          this.cursors.clear();
        }
        this.syncInput();
        this.render();
      },
      onEnd: (reason, detail) => void this.ended(reason, detail),
    });
    this.bar = new Bar({
      control: (action) => this.control(action),
      pass: (to) => this.channel.send({ type: 'pass', to }),
      remove: (id, name) => void removeParticipant(this.view.room.id, id, name),
      decline: (to) => this.channel.send({ type: 'decline', to }),
      setMuted: (muted) => {
        this.player.setMuted(muted);
        this.view.muted = this.player.muted;
        if (!muted) this.view.autoplayMuted = false;
        if (!muted && this.view.volume === 0) this.view.volume = this.player.volume;
        this.render();
      },
      setVolume: (level) => {
        this.player.setVolume(level);
        // Dragging the slider is a gesture: sound follows it (0 mutes, above 0 unmutes).
        this.player.setMuted(level === 0);
        this.view.volume = level;
        this.view.muted = this.player.muted;
        if (level > 0) this.view.autoplayMuted = false;
        try {
          localStorage.setItem(VOLUME_KEY, String(level));
        } catch {
          // fine
        }
        this.render();
      },
      toggleStats: () => {
        this.view.statsOpen = !this.view.statsOpen;
        this.render();
      },
      toggleFullscreen: () => void this.toggleFullscreen(),
      toggleKeyboard: () => {
        this.keyboard.toggle();
      },
      rename: () => this.rename(),
    });
    this.keyboard = new TouchKeyboard(
      this.kbdField,
      (keysym, code) => this.input.sendKey(keysym, code),
      () => this.activity(),
    );
  }

  mount(): void {
    this.content.append(this.rfbTarget, this.cursorEl, h('div', { class: 'drive-frame', 'aria-hidden': 'true' }));
    this.stage.append(this.media, this.content, this.overlay, this.notices, this.stats, this.handle);
    this.dock.append(this.bar.requestsEl, this.bar.el);
    app.className = 'room-app';
    replaceChildren(app, this.stage, this.dock, this.kbdField);

    new ResizeObserver(() => this.layout()).observe(this.stage);
    new ResizeObserver(() => app.style.setProperty('--dock-h', `${Math.round(this.dock.getBoundingClientRect().height)}px`)).observe(this.dock);
    window.addEventListener('orientationchange', () => this.layout());
    document.addEventListener('fullscreenchange', () => {
      this.view.fullscreen = document.fullscreenElement !== null;
      this.layout();
      this.render();
    });
    this.kbdField.addEventListener('focus', () => {
      this.view.keyboardOpen = true;
      this.render();
    });
    this.kbdField.addEventListener('blur', () => {
      this.view.keyboardOpen = false;
      this.render();
    });

    this.wirePointer();
    this.wireBarHiding();

    if (this.wantsPicture()) this.player.load(pictureSources(this.view.room.stream.web));
    this.channel.connect();
    this.layout();
    this.render();
    this.showBar();
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.channel.retryNow();
    });
    window.addEventListener('pagehide', () => {
      this.input.disconnect();
      this.channel.close();
    });
    // Back from the back/forward cache: the channel was closed on the way out; start afresh.
    window.addEventListener('pageshow', (ev) => {
      if (ev.persisted) location.reload();
    });
  }

  // ----- the channel -----

  private onMessage(m: ServerMessage): void {
    const v = this.view;
    switch (m.type) {
      case 'welcome':
        v.me = m.you;
        break;
      case 'state': {
        const before = { holder: v.holder, requesting: amRequesting(v), wasHolder: amHolder(v) };
        v.holder = m.holder;
        v.requests = m.requests;
        v.participants = m.participants;
        if (this.freshState) {
          this.freshState = false;
          if (amHolder(v)) this.flash('You are driving. Your mouse, touch and keyboard control the room.', 'pointer', 'drive');
        } else if (v.holder !== before.holder) this.controlMoved(before.holder, before.wasHolder);
        else if (before.requesting && !amRequesting(v) && !amHolder(v) && !this.cancelling) this.flash(`${nameOf(v, v.holder) ?? 'The driver'} kept control.`, 'hand');
        this.cancelling = false;
        if (!amHolder(v)) v.idleDeadline = null;
        this.cursors.setPeople(v.participants, v.holder);
        this.syncInput();
        break;
      }
      case 'cursor':
        if (m.id !== v.me?.id) this.cursors.move(m.id, m.x, m.y);
        break;
      case 'idle-warning':
        v.idleDeadline = performance.now() + m.msLeft;
        this.showBar();
        break;
      case 'room':
        this.roomChanged(m.state);
        break;
      case 'error':
        this.flash(m.message.charAt(0).toUpperCase() + m.message.slice(1), 'alert', 'warn');
        break;
    }
    this.render();
  }

  private controlMoved(from: string | null, wasHolder: boolean): void {
    const v = this.view;
    const to = nameOf(v, v.holder);
    if (amHolder(v)) this.flash('You are driving. Your mouse, touch and keyboard now control the room.', 'pointer', 'drive');
    else if (wasHolder) {
      if (this.releasing) this.flash(to ? `You released control; ${to} is driving.` : 'You released control.', 'hand');
      else if (v.idleDeadline !== null && performance.now() >= v.idleDeadline - 1500) this.flash('You lost control after being idle.', 'alert', 'warn');
      else this.flash(to ? `Control passed to ${to}.` : 'You no longer have control.', 'hand');
    } else if (to) this.flash(`${to} is driving now.`, 'pointer');
    else if (from) this.flash('Nobody is driving now.', 'hand');
    this.releasing = false;
  }

  private roomChanged(state: string): void {
    const v = this.view;
    const was = v.roomState;
    v.roomState = state;
    if (state === 'deleted') return void this.ended('deleted');
    const picture = this.wantsPicture();
    if (picture && (this.player.current === 'idle' || ['stopped', 'stopping'].includes(was))) this.player.load(pictureSources(v.room.stream.web));
    if (!picture) this.player.stop();
    this.syncInput();
  }

  private wantsPicture(): boolean {
    return !['stopped', 'stopping', 'deleting', 'deleted'].includes(this.view.roomState);
  }

  private async ended(reason: 'deleted' | 'refused' | 'full' | 'removed' | 'password', detail?: string): Promise<void> {
    if (reason === 'removed' || reason === 'password') return endedByHost(reason, () => this.teardown());
    if (reason === 'full') {
      this.teardown();
      const text = `${detail ? `${detail.charAt(0).toUpperCase()}${detail.slice(1)}. ` : ''}Close another tab or device in this room, or try again later.`;
      return void show(messageScreen({ icon: 'alert', title: 'No room for you right now', text, action: { label: 'Try again', run: () => location.reload() } }));
    }
    if (reason === 'refused') {
      // The upgrade keeps failing: find out why over HTTP.
      try {
        await api('GET', `/api/rooms/${this.view.room.id}/configuration`);
        return; // reachable again; the channel keeps retrying
      } catch (err) {
        const e = err as ApiError;
        if (e.status === 401) return void location.reload(); // the password changed: ask again
        if (e.status !== 404) return;
      }
    }
    this.teardown();
    document.title = 'Room deleted · streambox';
    show(messageScreen({ icon: 'trash', title: 'This room was deleted', text: 'Its browser has closed and the link no longer works. Ask the host for a new room.' }));
  }

  private teardown(): void {
    this.channel.close();
    this.input.disconnect();
    this.player.stop();
    if (this.statsTimer !== null) window.clearInterval(this.statsTimer);
    if (this.idleTimer !== null) window.clearInterval(this.idleTimer);
  }

  private control(action: 'request' | 'cancel' | 'release' | 'take'): void {
    if (action === 'release') this.releasing = true;
    if (action === 'cancel') this.cancelling = true;
    if (!this.channel.send({ type: action })) this.flash('Not connected yet; try again in a moment.', 'alert', 'warn');
  }

  private rename(): void {
    const input = h('input', { class: 'input', id: 'rename', maxlength: NAME_MAX, value: this.name, autocomplete: 'nickname' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', form: 'rename-form' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const form = h(
      'form',
      {
        id: 'rename-form',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          const name = input.value.trim().slice(0, NAME_MAX);
          if (!name) return input.focus();
          this.name = name;
          storeName(name);
          this.channel.setName(name);
          this.channel.send({ type: 'rename', name });
          dlg.close();
        },
      },
      h('div', { class: 'field' }, h('label', { class: 'label', for: 'rename' }, 'Your name'), input),
    );
    const dlg = openDialog({ title: 'Change your name', body: [form], actions: [cancel, save] });
    cancel.addEventListener('click', () => dlg.close());
    input.select();
  }

  // ----- input (noVNC) -----

  /** Connect noVNC exactly while we hold control (and the room runs); otherwise disconnect. */
  private syncInput(): void {
    const v = this.view;
    const drive = amHolder(v) && v.channel === 'open' && this.wantsPicture();
    this.input.viewOnly = !drive;
    if (!drive) {
      if (this.inputRetry !== null) window.clearTimeout(this.inputRetry);
      this.inputRetry = null;
      this.inputFailures = 0;
      v.inputTrouble = false;
      if (this.input.current !== 'off') this.input.disconnect();
      this.keyboard.close();
      return;
    }
    if (this.input.current === 'off' && !this.tokenInflight && this.inputRetry === null) void this.connectInput();
  }

  private async connectInput(): Promise<void> {
    const v = this.view;
    const me = v.me;
    if (!me) return;
    this.tokenInflight = true;
    try {
      const { token, vncUrl } = await api<{ token: string; vncUrl: string }>('POST', `/api/rooms/${v.room.id}/vnc-token`, { participantId: me.id, participantKey: me.key });
      if (!amHolder(this.view) || this.view.me !== me) return;
      this.input.connect(`${vncUrl}?token=${encodeURIComponent(token)}`);
    } catch (err) {
      const e = err as ApiError;
      // Asked too often (tokens are rate-limited): wait as long as the server says, quietly.
      if (e.status === 429 && e.retryAfter) return void this.retryInput(e.retryAfter * 1000);
      // 403: control moved meanwhile (a state message follows). 409: the room is not running, or
      // our previous VNC session is still open on the server (it ends within its ping timeout).
      if (e.status !== 403 && e.status !== 409) {
        this.inputFailures++;
        if (this.inputFailures >= 2) v.inputTrouble = true;
      }
      this.retryInput();
      this.render();
    } finally {
      this.tokenInflight = false;
    }
  }

  private retryInput(waitMs?: number): void {
    if (this.inputRetry !== null) return;
    const wait = waitMs ?? Math.min(8000, 700 * 2 ** Math.min(this.inputFailures, 4));
    this.inputRetry = window.setTimeout(() => {
      this.inputRetry = null;
      this.syncInput();
    }, wait);
  }

  /** Our own input: lifts the idle warning here; the server counts what reaches the room over VNC. */
  private activity(): void {
    if (!amHolder(this.view)) return;
    if (this.view.idleDeadline !== null) {
      this.view.idleDeadline = null;
      this.render();
    }
  }

  // ----- pointer, layout, bar -----

  private readonly sendCursor = throttle((x: number, y: number) => this.channel.send({ type: 'cursor', x, y }), CURSOR_SEND_MS);

  private wirePointer(): void {
    const opts = { capture: true, passive: true } as const;
    // Browsers send a pointermove without any movement when the page changes under a resting
    // pointer (the bar sliding in, a notice appearing): that is not the driver being active.
    let last = { x: NaN, y: NaN };
    this.content.addEventListener(
      'pointermove',
      (ev) => {
        if (ev.clientX === last.x && ev.clientY === last.y) return;
        last = { x: ev.clientX, y: ev.clientY };
        const r = this.content.getBoundingClientRect();
        const driving = amHolder(this.view);
        this.cursors.moveOwn(driving ? { x: ev.clientX - r.left, y: ev.clientY - r.top } : null);
        const p = normalizePoint(ev.clientX, ev.clientY, r);
        this.sendCursor(p.x, p.y);
        if (driving) this.activity();
      },
      opts,
    );
    this.content.addEventListener('pointerleave', (ev) => ev.pointerType !== 'touch' && this.cursors.moveOwn(null), opts);
    // Touch has no hover: show where the finger is while it is down, then fade the marker.
    let touchFade: number | null = null;
    this.content.addEventListener(
      'pointerdown',
      (ev) => {
        if (ev.pointerType !== 'touch' || !amHolder(this.view)) return;
        const r = this.content.getBoundingClientRect();
        this.cursors.moveOwn({ x: ev.clientX - r.left, y: ev.clientY - r.top });
        const p = normalizePoint(ev.clientX, ev.clientY, r);
        this.sendCursor(p.x, p.y);
        if (touchFade !== null) window.clearTimeout(touchFade);
      },
      opts,
    );
    this.content.addEventListener(
      'pointerup',
      (ev) => {
        if (ev.pointerType !== 'touch') return;
        touchFade = window.setTimeout(() => this.cursors.moveOwn(null), 1500);
      },
      opts,
    );
    for (const type of ['pointerdown', 'wheel'] as const) this.content.addEventListener(type, () => this.activity(), opts);
    document.addEventListener('keydown', () => this.activity(), { capture: true, passive: true });
    // Viewers: a tap shows or hides the controls; a double click toggles full screen.
    this.content.addEventListener('click', () => {
      if (amHolder(this.view)) return;
      if (this.touchLayout.matches && !this.dock.classList.contains('hidden')) this.hideBar();
      else this.showBar();
    });
    this.content.addEventListener('dblclick', () => {
      if (!amHolder(this.view)) void this.toggleFullscreen();
    });
  }

  /** Places the input layer exactly over the picture (object-fit: contain maths). */
  private layout(): void {
    const v = this.player.video;
    const iw = v?.videoWidth || this.view.room.config.width;
    const ih = v?.videoHeight || this.view.room.config.height;
    const r = snapRect(containRect(iw, ih, this.stage.clientWidth, this.stage.clientHeight));
    if (r.x === this.rect.x && r.y === this.rect.y && r.width === this.rect.width && r.height === this.rect.height) return;
    this.rect = r;
    Object.assign(this.content.style, { left: `${r.x}px`, top: `${r.y}px`, width: `${r.width}px`, height: `${r.height}px` });
    this.app.style.setProperty('--letterbox-y', `${r.y}px`);
  }

  private get app(): HTMLElement {
    return app;
  }

  private wireBarHiding(): void {
    let last = { x: NaN, y: NaN };
    const onMove = (ev: PointerEvent) => {
      if (ev.pointerType === 'touch') return; // touch: taps decide (see wirePointer)
      if (ev.clientX === last.x && ev.clientY === last.y) return; // not a real move (see wirePointer)
      last = { x: ev.clientX, y: ev.clientY };
      if (!amHolder(this.view)) return this.showBar();
      // While driving, only the edge where the bar lives brings it back, so it does not cover
      // the part of the page being clicked.
      const zone = 88;
      const atTop = this.touchLayout.matches;
      if (atTop ? ev.clientY < zone : ev.clientY > window.innerHeight - zone) this.showBar();
    };
    document.addEventListener('pointermove', onMove, { passive: true });
    this.dock.addEventListener('pointerenter', () => {
      this.overBar = true;
      this.showBar();
    });
    this.dock.addEventListener('pointerleave', () => {
      this.overBar = false;
      this.showBar();
    });
    this.dock.addEventListener('pointerdown', () => this.showBar());
    this.dock.addEventListener('focusin', () => this.showBar());
    this.dock.addEventListener('focusout', () => this.showBar());
    this.handle.addEventListener('click', () => this.showBar());
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Tab') this.showBar();
    });
  }

  private pinned(): boolean {
    const v = this.view;
    return this.overBar || this.bar.needsAttention || v.player !== 'playing' || v.channel !== 'open' || v.idleDeadline !== null || v.statsOpen;
  }

  private showBar(): void {
    this.dock.classList.remove('hidden');
    app.classList.remove('bar-hidden');
    this.handle.hidden = true;
    if (this.barTimer !== null) window.clearTimeout(this.barTimer);
    // Touch has no hover to bring the bar back, so it stays longer there.
    this.barTimer = window.setTimeout(() => {
      this.barTimer = null;
      if (this.pinned()) return this.showBar();
      this.hideBar();
    }, this.touchLayout.matches ? BAR_HIDE_MS * 2 : BAR_HIDE_MS);
  }

  private hideBar(): void {
    if (this.pinned()) return;
    this.dock.classList.add('hidden');
    app.classList.add('bar-hidden');
    this.handle.hidden = !(this.touchLayout.matches && amHolder(this.view));
  }

  private async toggleFullscreen(): Promise<void> {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else {
        await document.documentElement.requestFullscreen({ navigationUI: 'hide' });
        if (this.touchLayout.matches) {
          const orientation = screen.orientation as ScreenOrientation & { lock?: (o: string) => Promise<void> };
          await orientation.lock?.('landscape').catch(() => undefined);
        }
      }
    } catch {
      this.flash('Full screen is not available here.', 'alert', 'warn');
    }
  }

  private flash(text: string, iconName: IconName, tone = 'info'): void {
    const id = ++this.flashSeq;
    this.flashes = [...this.flashes.filter((f) => f.text !== text), { id, text, icon: iconName, tone }].slice(-2);
    window.setTimeout(() => {
      this.flashes = this.flashes.filter((f) => f.id !== id);
      this.renderNotices();
    }, 4000);
    this.renderNotices();
  }

  // ----- drawing -----

  private render(): void {
    const v = this.view;
    const driving = amHolder(v) && this.wantsPicture();
    this.app.classList.toggle('driving', driving);
    this.app.classList.toggle('input-on', v.input === 'on');
    this.app.classList.toggle('playing', v.player === 'playing');
    this.bar.update(v);
    this.renderOverlay();
    this.renderNotices();
    this.renderStats();
    if (v.idleDeadline !== null && this.idleTimer === null) {
      this.idleTimer = window.setInterval(() => {
        if (this.view.idleDeadline === null) {
          window.clearInterval(this.idleTimer!);
          this.idleTimer = null;
        }
        this.renderNotices();
      }, 250);
    }
    if (this.bar.needsAttention || (this.dock.classList.contains('hidden') && this.pinned())) this.showBar();
  }

  private renderOverlay(): void {
    const v = this.view;
    let key = '';
    let content: HTMLElement | null = null;
    const failure = failureSentence({ status: { ...v.room.status, state: v.roomState as Room['status']['state'] } });
    if (!this.wantsPicture()) {
      key = 'stopped';
      content = this.overlayCard('stop', 'This room is stopped', 'The picture comes back when the host starts it again. You can leave this page open.');
    } else if (v.player === 'unsupported') {
      key = 'unsupported';
      content = this.overlayCard('alert', 'This browser cannot play the stream', 'Try a current Firefox, Chrome, Edge or Safari.');
    } else if (v.player === 'blocked') {
      key = 'blocked';
      const btn = h('button', { type: 'button', class: 'btn btn-primary big-play', onclick: () => this.player.resume() }, icon('play', 22), 'Start watching');
      content = h('div', { class: 'overlay-card' }, btn, h('p', null, 'Your browser waits for a tap before it plays video.'));
    } else if (v.player === 'stalled') {
      key = 'stalled';
      content = this.overlayCard(null, 'Reconnecting to the stream…', v.roomState === 'restarting' ? `${roleName(v.room.status.failure?.role)} is restarting.` : 'The picture stopped arriving; it resumes by itself.');
    } else if (v.player !== 'playing' && v.roomState === 'failed') {
      key = 'failed';
      content = this.overlayCard('alert', 'Part of this room failed', `${failure ?? 'It stopped working.'} The host sees the details on the dashboard; the picture returns when it runs again.`, 'danger');
    } else if (v.player !== 'playing') {
      key = `waiting-${v.roomState}`;
      const text =
        v.roomState === 'starting'
          ? 'The room is starting. The picture appears in a few seconds.'
          : v.roomState === 'restarting'
            ? 'Part of the room is restarting. The picture comes back by itself.'
            : 'Connecting to the picture…';
      content = this.overlayCard(null, 'Waiting for the stream', text);
    }
    this.app.classList.toggle('dimmed', key === 'stalled');
    if (key === this.overlayKey) return;
    this.overlayKey = key;
    replaceChildren(this.overlay, content);
    this.overlay.hidden = content === null;
  }

  private overlayCard(iconName: IconName | null, title: string, text: string, tone?: 'danger'): HTMLElement {
    return h('div', { class: 'overlay-card', role: 'status' }, iconName ? h('div', { class: `overlay-icon${tone ? ` tone-${tone}` : ''}` }, icon(iconName, 26)) : h('span', { class: 'spinner big', 'aria-hidden': 'true' }), h('h2', null, title), h('p', null, text));
  }

  /** Notices are keyed and updated in place, so a countdown does not restart their animation. */
  private readonly noticeEls = new Map<string, { el: HTMLElement; text: HTMLElement }>();

  private renderNotices(): void {
    const v = this.view;
    type Notice = { key: string; cls: string; lead: () => Element; text: string; role?: string; onclick?: () => void };
    const items: Notice[] = [];
    const spinner = () => h('span', { class: 'spinner', 'aria-hidden': 'true' });
    if (v.channel === 'reconnecting') items.push({ key: 'reconnecting', cls: 'notice-warn', lead: spinner, text: 'Reconnecting…' });
    if (v.idleDeadline !== null && amHolder(v)) {
      const left = Math.max(0, Math.ceil((v.idleDeadline - performance.now()) / 1000));
      items.push({ key: 'idle', cls: 'notice-warn notice-strong', lead: () => icon('alert', 18), text: `You will lose control in ${left} s — move the mouse to keep it`, role: 'alert' });
    }
    if (v.inputTrouble && amHolder(v) && v.player === 'playing') items.push({ key: 'input', cls: 'notice-warn', lead: spinner, text: 'Your mouse and keyboard cannot reach the room. Retrying…' });
    if (v.autoplayMuted && v.muted && v.player === 'playing') {
      items.push({
        key: 'unmute',
        cls: 'unmute',
        lead: () => icon('volumeOff', 18),
        text: 'Tap to unmute',
        onclick: () => {
          this.player.setMuted(false);
          this.view.muted = this.player.muted;
          this.view.autoplayMuted = false;
          this.render();
        },
      });
    }
    for (const f of this.flashes) items.push({ key: `flash-${f.id}`, cls: `notice-${f.tone}`, lead: () => icon(f.icon, 17), text: f.text });

    const keep = new Set(items.map((n) => n.key));
    for (const [key, n] of this.noticeEls) {
      if (!keep.has(key)) {
        n.el.remove();
        this.noticeEls.delete(key);
      }
    }
    items.forEach((n, i) => {
      let entry = this.noticeEls.get(n.key);
      if (!entry) {
        const text = h('span', null, n.text);
        const el = n.onclick
          ? h('button', { type: 'button', class: `notice ${n.cls}`, onclick: n.onclick }, n.lead(), text)
          : h('div', { class: `notice ${n.cls}`, ...(n.role ? { role: n.role } : {}) }, n.lead(), text);
        entry = { el, text };
        this.noticeEls.set(n.key, entry);
      } else if (entry.text.textContent !== n.text) entry.text.textContent = n.text;
      if (this.notices.children[i] !== entry.el) this.notices.insertBefore(entry.el, this.notices.children[i] ?? null);
    });
  }

  private renderStats(): void {
    const open = this.view.statsOpen;
    this.stats.hidden = !open;
    if (open && this.statsTimer === null) this.statsTimer = window.setInterval(() => this.drawStats(), 1000);
    if (!open && this.statsTimer !== null) {
      window.clearInterval(this.statsTimer);
      this.statsTimer = null;
    }
    if (open) this.drawStats();
  }

  private drawStats(): void {
    const s = this.player.stats();
    const cfg = this.view.room.config;
    const row = (k: string, val: string) => [h('dt', null, k), h('dd', null, val)];
    replaceChildren(
      this.stats,
      h('div', { class: 'stats-head' }, h('strong', null, 'Stream'), h('button', { type: 'button', class: 'btn btn-ghost btn-icon btn-sm', 'aria-label': 'Close statistics', onclick: () => ((this.view.statsOpen = false), this.render()) }, icon('x', 16))),
      h(
        'dl',
        null,
        ...row('path', s.pathLabel ? `${s.pathLabel}${s.pathWhy ? ` · ${s.pathWhy}` : ''}` : '—'),
        ...row('picture', s.width ? `${s.width}×${s.height}` : '—'),
        ...row('room', `${cfg.width}×${cfg.height} @ ${cfg.fps} fps`),
        ...row('fps', s.fps !== null ? `${s.fps}` : '—'),
        ...row('delay', formatDelay(s.kind, s.delayMs)),
        ...row('dropped', s.droppedFrames !== null ? `${s.droppedFrames} frames` : '—'),
        ...row('input', this.view.input === 'on' ? 'connected (you drive)' : this.view.input === 'connecting' ? 'connecting…' : 'off (view only)'),
        ...row('channel', this.view.channel),
      ),
    );
  }
}

/** The room's sources; the Player picks the path (forcedPath() narrows it). */
function pictureSources(sources: readonly PlaybackSource[]): PlaybackSource[] {
  return [...sources];
}

/**
 * `?path=fast|mse|hls` on a room link: only that path (WebCodecs, MSE, HLS), no fallback. A way to
 * compare paths, used by the benchmark (test/bench/).
 */
function forcedPath(): string | null {
  return new URLSearchParams(location.search).get('path');
}

void start();
