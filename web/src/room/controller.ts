/**
 * The room page's controller: owns the channel, the player and the input link, turns what they
 * report into store events, runs the effects the reducer asks for, and carries out the views'
 * intents. It decides nothing itself: what follows from what is reduce.ts's.
 */
import { api, ApiError } from '../shared/api.js';
import { throttle } from '../shared/dom.js';
import { Player } from '../player/player.js';
import type { Room } from '../shared/types.js';
import { RoomChannel, type ServerMessage } from './channel.js';
import type { CursorLayer } from './cursors.js';
import type { Reaction } from '../../../protocol/chat.js';
import type { ReactionLayer } from './reactions.js';
import type { ChatIntents } from './chat.js';
import { showEnd, whyRefused } from './ending.js';
import { InputLink } from './inputLink.js';
import { RoomClipboard } from './clipboard.js';
import type { RoomIntents } from './intents.js';
import { storeVolume } from './prefs.js';
import { removeParticipant } from './removal.js';
import { renameDialog } from './renameDialog.js';
import { storeName } from './screens.js';
import { touchLayout, type RoomSkeleton } from './skeleton.js';
import { amHolder, shouldDrive, wantsPicture, type Effect, type RoomEvent, type RoomState } from './state.js';
import type { Store } from './store.js';
import { TouchKeyboard } from './touchKeyboard.js';

const CURSOR_SEND_MS = 50; // ~20 per second

export interface ControllerDeps {
  room: Room;
  name: string;
  dom: RoomSkeleton;
  cursors: CursorLayer;
  reactions: ReactionLayer;
  /** The picture's size changed: the input layer follows (pictureLayout.ts). */
  onPictureSize(): void;
  /** Sound at the start (the state's `muted` and `volume`). */
  sound: { muted: boolean; volume: number };
  /** `?path=` on the room link: only that path, no fallback (player.ts `forcePath`). */
  forcePath: string | null;
  /** The channel's recording indicator (recording.ts; not page state). */
  onRecording(m: Extract<ServerMessage, { type: 'recording' }>): void;
}

export class RoomController implements RoomIntents, ChatIntents {
  readonly player: Player;
  readonly clipboard: RoomClipboard;
  private readonly channel: RoomChannel;
  private readonly link: InputLink;
  private readonly keyboard: TouchKeyboard;
  private store!: Store;

  constructor(private readonly deps: ControllerDeps) {
    const dispatch = (e: RoomEvent) => this.store.dispatch(e);
    const { room, dom } = deps;
    this.player = new Player(dom.media, {
      muted: deps.sound.muted,
      onState: (state) => dispatch({ type: 'player-state', state }),
      onMediaSize: () => deps.onPictureSize(),
      onAutoplayMuted: () => dispatch({ type: 'autoplay-muted' }),
      onPath: (path) => dispatch({ type: 'player-path', path }),
      forcePath: deps.forcePath,
    });
    this.link = new InputLink(dom.rfbTarget, room.id, dispatch);
    this.clipboard = new RoomClipboard(room.config.clipboard, dom.stage, dom.rfbTarget, this.link.input);
    this.channel = new RoomChannel(room.id, deps.name, {
      onMessage: (m) => this.onMessage(m),
      onStatus: (status) => dispatch({ type: 'channel-status', status }),
      onEnd: (reason, detail) => {
        if (reason !== 'refused') return dispatch(detail === undefined ? { type: 'ended', reason } : { type: 'ended', reason, detail });
        // The upgrade keeps failing: find out why over HTTP (reachable again: keep retrying).
        void whyRefused(room.id).then((why) => why && dispatch({ type: 'ended', reason: why }));
      },
    });
    this.keyboard = new TouchKeyboard(dom.kbdField, (keysym, code) => this.link.input.sendKey(keysym, code), () => this.activity());
    this.player.setVolume(deps.sound.volume);
  }

  /** Joins the store (made with `run` as its effect runner) and starts playing and talking. */
  attach(store: Store): void {
    this.store = store;
    const s = store.state;
    // While connected, only the holder may send: view-only the moment control moves.
    store.subscribe((next) => {
      this.link.input.viewOnly = !shouldDrive(next);
      this.clipboard.setDriving(amHolder(next) && next.input === 'on');
    });
    if (wantsPicture(s)) this.player.load([...s.room.stream.web]);
    store.dispatch({ type: 'opened' }); // a room stopped for being idle starts for us
    this.channel.connect();
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.channel.retryNow();
    });
    window.addEventListener('pagehide', () => {
      this.link.input.disconnect();
      this.channel.close();
    });
  }

  run(effect: Effect): void {
    switch (effect.type) {
      case 'fetch-token':
        return void this.link.fetchToken(effect.for);
      case 'connect-input':
        return this.link.input.connect(effect.url);
      case 'disconnect-input':
        return this.link.input.disconnect();
      case 'schedule-input-retry':
        return this.link.scheduleRetry(effect.ms);
      case 'cancel-input-retry':
        return this.link.cancelRetry();
      case 'close-keyboard':
        return this.keyboard.close();
      case 'wake':
        return void window.setTimeout(() => void this.wake(), effect.afterMs);
      case 'load-player':
        return this.player.load([...this.deps.room.stream.web]);
      case 'stop-player':
        return this.player.stop();
      case 'clear-cursors':
        return this.deps.cursors.clear();
      case 'expire-flash':
        return void window.setTimeout(() => this.store.dispatch({ type: 'flash-expired', id: effect.id }), effect.ms);
      case 'end':
        return showEnd(effect.reason, effect.detail, () => this.teardown());
    }
  }

  private get state(): RoomState {
    return this.store.state;
  }

  private onMessage(m: ServerMessage): void {
    const dispatch = (e: RoomEvent) => this.store.dispatch(e);
    switch (m.type) {
      case 'welcome':
        return dispatch({ type: 'welcome', you: m.you });
      case 'state':
        return dispatch({ type: 'presence', holder: m.holder, requests: m.requests, participants: m.participants, now: performance.now() });
      case 'cursor':
        // Positions are not page state: straight to the markers.
        if (m.id !== this.state.me?.id) this.deps.cursors.move(m.id, m.x, m.y);
        return;
      case 'idle-warning':
        return dispatch({ type: 'idle-warning', msLeft: m.msLeft, now: performance.now() });
      case 'room':
        return dispatch({ type: 'room-state', state: m.state, stopReason: m.stopReason ?? null });
      case 'time-limit':
        return dispatch({ type: 'time-limit', at: m.msLeft === null ? null : Date.now() + m.msLeft });
      case 'error':
        return dispatch(m.about === 'chat' ? { type: 'chat-refused', message: m.message } : { type: 'server-error', message: m.message });
      case 'chat-history':
        return dispatch({ type: 'chat-history', entries: m.entries });
      case 'chat':
        return dispatch({ type: 'chat-entry', entry: m.entry });
      case 'chat-cleared':
        return dispatch({ type: 'chat-cleared', entry: m.entry });
      case 'reaction':
        return this.deps.reactions.show(m.emoji, m.name); // like cursors: not page state
      case 'recording':
        return this.deps.onRecording(m);
      case 'clipboard':
        return this.clipboard.roomCopied(m.text); // like cursors: not page state
    }
  }

  /** POST /wake: the room starts again; the answer (or the refusal) goes to the store. */
  private async wake(): Promise<void> {
    try {
      const room = await api<Room>('POST', `/api/rooms/${this.deps.room.id}/wake`);
      this.store.dispatch({ type: 'wake-done', state: room.status.state, stopReason: room.status.stopReason });
    } catch (err) {
      const e = err as ApiError;
      this.store.dispatch({ type: 'wake-failed', status: e.status, code: e.code, message: e.message, ...(e.retryAfter ? { retryAfterS: e.retryAfter } : {}) });
    }
  }

  private teardown(): void {
    this.channel.close();
    this.link.cancelRetry();
    this.link.input.disconnect();
    this.player.stop();
  }

  // ----- intents -----

  control(action: 'request' | 'cancel' | 'release' | 'take'): void {
    this.store.dispatch(this.channel.send({ type: action }) ? { type: 'control-sent', action } : { type: 'control-not-sent' });
  }

  pass(to: string): void {
    this.channel.send({ type: 'pass', to });
  }

  decline(to: string): void {
    this.channel.send({ type: 'decline', to });
  }

  remove(id: string, name: string): void {
    void removeParticipant(this.deps.room.id, id, name);
  }

  setMuted(muted: boolean): void {
    this.player.setMuted(muted);
    this.store.dispatch({ type: 'sound', muted: this.player.muted, volume: this.player.volume });
  }

  setVolume(level: number): void {
    this.player.setVolume(level);
    // Dragging the slider is a gesture: sound follows it (0 mutes, above 0 unmutes).
    this.player.setMuted(level === 0);
    this.store.dispatch({ type: 'sound', muted: this.player.muted, volume: level });
    storeVolume(level);
  }

  setStats(open: boolean): void {
    this.store.dispatch({ type: 'stats', open });
  }

  toggleFullscreen(): void {
    void (async () => {
      try {
        if (document.fullscreenElement) await document.exitFullscreen();
        else {
          await document.documentElement.requestFullscreen({ navigationUI: 'hide' });
          if (touchLayout.matches) {
            const orientation = screen.orientation as ScreenOrientation & { lock?: (o: string) => Promise<void> };
            await orientation.lock?.('landscape').catch(() => undefined);
          }
        }
      } catch {
        this.store.dispatch({ type: 'fullscreen-failed' });
      }
    })();
  }

  toggleKeyboard(): void {
    this.keyboard.toggle();
  }

  rename(): void {
    renameDialog(this.state.name, (name) => {
      this.store.dispatch({ type: 'renamed', name });
      storeName(name);
      this.channel.setName(name);
      this.channel.send({ type: 'rename', name });
    });
  }

  resume(): void {
    this.player.resume();
  }

  readonly pointerAt = throttle((x: number, y: number) => this.channel.send({ type: 'cursor', x, y }), CURSOR_SEND_MS);

  activity(): void {
    this.store.dispatch({ type: 'activity' });
  }

  sendChat(text: string): boolean {
    const sent = this.channel.send({ type: 'chat', text });
    if (!sent) this.store.dispatch({ type: 'chat-not-sent' });
    return sent;
  }

  clearChat(): void {
    if (!this.channel.send({ type: 'chat-clear' })) this.store.dispatch({ type: 'chat-not-sent' });
  }

  react(emoji: Reaction): void {
    this.channel.send({ type: 'react', emoji });
  }

  setChatOpen(open: boolean): void {
    this.store.dispatch({ type: 'chat-open', open });
  }
}
