/**
 * The room page's one reducer: (state, event) -> (state, effects). Pure: no DOM, no timers, no
 * clock (events that need the time carry `now`). Every change of what the page knows happens here,
 * and so does every notice about control moving, so the awkward orders (a release in flight, the
 * channel dropping and coming back, a token that arrives after control moved) are unit-tested in
 * test/unit/roomState.test.ts. The effects it returns are run by controller.ts.
 */
import { isChatEvent, reduceChat } from './chatState.js';
import { FLASH_MAX, FLASH_MS, amHolder, amRequesting, nameOf, shouldDrive, wantsPicture, type Effect, type Flash, type RoomEvent, type RoomState } from './state.js';

export interface Reduced {
  state: RoomState;
  effects: Effect[];
}

/** Idle-out is assumed (rather than a pass) when control moves this close to the deadline. */
const IDLE_SLACK_MS = 1500;
const RETRY_MAX_MS = 8000;
const RETRY_BASE_MS = 700;

export function reduce(state: RoomState, event: RoomEvent): Reduced {
  // After the end the page shows a dead end; nothing that still trickles in changes it.
  if (state.ended) return { state, effects: [] };
  const s: RoomState = { ...state };
  const fx: Effect[] = [];
  apply(s, fx, event);
  return { state: sameFields(state, s) ? state : s, effects: fx };
}

function apply(s: RoomState, fx: Effect[], e: RoomEvent): void {
  if (isChatEvent(e)) return void (s.chat = reduceChat(s.chat, e, s.me?.id ?? null));
  switch (e.type) {
    case 'channel-status':
      s.channel = e.status;
      if (e.status !== 'open') {
        // A new connection is a new participant: what we held, asked for or sent is gone.
        Object.assign(s, { fresh: true, me: null, holder: null, requests: [], idleDeadline: null, releasing: false, cancelling: false });
        fx.push({ type: 'clear-cursors' });
      }
      return syncInput(s, fx);
    case 'welcome':
      s.me = e.you;
      return;
    case 'presence':
      return presence(s, fx, e);
    case 'idle-warning':
      s.idleDeadline = e.now + e.msLeft;
      return;
    case 'room-state':
      if (e.stopReason !== undefined) s.stopReason = e.stopReason;
      return roomChanged(s, fx, e.state);
    case 'time-limit':
      s.timeLimitAt = e.at;
      return;
    case 'opened':
      return maybeWake(s, fx);
    case 'wake-done':
      s.wake = 'woken';
      s.stopReason = e.stopReason;
      return roomChanged(s, fx, e.state);
    case 'wake-failed':
      return wakeFailed(s, fx, e);
    case 'server-error':
      return flash(s, fx, e.message.charAt(0).toUpperCase() + e.message.slice(1), 'alert', 'warn');
    case 'ended':
      return end(s, fx, e.reason, e.detail);
    case 'player-state':
      s.player = e.state;
      return;
    case 'player-path':
      s.path = e.path;
      return;
    case 'autoplay-muted':
      s.muted = true;
      s.autoplayMuted = true;
      return;
    case 'input-state':
      s.input = e.state;
      if (e.state === 'on') {
        s.inputFailures = 0;
        s.inputTrouble = false;
      }
      return;
    case 'input-lost':
      if (!amHolder(s)) return;
      failed(s);
      return retryInput(s, fx);
    case 'token-ok':
      if (s.link === 'fetching') s.link = 'idle';
      if (shouldDrive(s) && s.me?.id === e.for.id) return void fx.push({ type: 'connect-input', url: e.url });
      return syncInput(s, fx); // control moved meanwhile, or we are someone new now
    case 'token-failed':
      if (s.link === 'fetching') s.link = 'idle';
      // Asked too often (tokens are rate-limited): wait as long as the server says, quietly.
      if (e.status === 429 && e.retryAfterS) return retryInput(s, fx, e.retryAfterS * 1000);
      // 403: control moved meanwhile (a presence state follows). 409: the room is not running, or
      // our previous VNC session is still open on the server (it ends within its ping timeout).
      if (e.status !== 403 && e.status !== 409) failed(s);
      retryInput(s, fx);
      return syncInput(s, fx);
    case 'input-retry-due':
      if (s.link === 'backoff') s.link = 'idle';
      return syncInput(s, fx);
    case 'control-sent':
      if (e.action === 'release') s.releasing = true;
      if (e.action === 'cancel') s.cancelling = true;
      return;
    case 'control-not-sent':
      return flash(s, fx, 'Not connected yet; try again in a moment.', 'alert', 'warn');
    case 'activity':
      // Our own input lifts the warning here; the server counts what reaches the room over VNC.
      if (amHolder(s)) s.idleDeadline = null;
      return;
    case 'sound':
      s.muted = e.muted;
      s.volume = e.volume;
      if (!e.muted) s.autoplayMuted = false;
      return;
    case 'stats':
      s.statsOpen = e.open;
      return;
    case 'fullscreen':
      s.fullscreen = e.on;
      return;
    case 'fullscreen-failed':
      return flash(s, fx, 'Full screen is not available here.', 'alert', 'warn');
    case 'keyboard':
      s.keyboardOpen = e.open;
      return;
    case 'renamed':
      s.name = e.name;
      return;
    case 'flash-expired':
      s.flashes = s.flashes.filter((f) => f.id !== e.id);
      return;
  }
}

function presence(s: RoomState, fx: Effect[], e: Extract<RoomEvent, { type: 'presence' }>): void {
  const before = { holder: s.holder, requesting: amRequesting(s), wasHolder: amHolder(s) };
  s.holder = e.holder;
  s.requests = e.requests;
  s.participants = e.participants;
  if (s.fresh) {
    s.fresh = false;
    if (amHolder(s)) flash(s, fx, 'You are driving. Your mouse, touch and keyboard control the room.', 'pointer', 'drive');
  } else if (s.holder !== before.holder) controlMoved(s, fx, before.holder, before.wasHolder, e.now);
  else if (before.requesting && !amRequesting(s) && !amHolder(s) && !s.cancelling) flash(s, fx, `${nameOf(s, s.holder) ?? 'The driver'} kept control.`, 'hand');
  s.cancelling = false;
  if (!amHolder(s)) s.idleDeadline = null;
  syncInput(s, fx);
}

function controlMoved(s: RoomState, fx: Effect[], from: string | null, wasHolder: boolean, now: number): void {
  const to = nameOf(s, s.holder);
  if (amHolder(s)) flash(s, fx, 'You are driving. Your mouse, touch and keyboard now control the room.', 'pointer', 'drive');
  else if (wasHolder) {
    if (s.releasing) flash(s, fx, to ? `You released control; ${to} is driving.` : 'You released control.', 'hand');
    else if (s.idleDeadline !== null && now >= s.idleDeadline - IDLE_SLACK_MS) flash(s, fx, 'You lost control after being idle.', 'alert', 'warn');
    else flash(s, fx, to ? `Control passed to ${to}.` : 'You no longer have control.', 'hand');
  } else if (to) flash(s, fx, `${to} is driving now.`, 'pointer');
  else if (from) flash(s, fx, 'Nobody is driving now.', 'hand');
  s.releasing = false;
}

function roomChanged(s: RoomState, fx: Effect[], state: string): void {
  const was = s.roomState;
  s.roomState = state;
  if (state === 'deleted') return end(s, fx, 'deleted');
  if (!wantsPicture(s)) s.timeLimitAt = null;
  maybeWake(s, fx);
  const picture = wantsPicture(s);
  if (picture && (s.player === 'idle' || was === 'stopped' || was === 'stopping')) fx.push({ type: 'load-player' });
  if (!picture) fx.push({ type: 'stop-player' });
  syncInput(s, fx);
}

/** A room stopped for being idle starts again for whoever has its page open (POST /wake). */
function maybeWake(s: RoomState, fx: Effect[], afterMs = 0): void {
  if (s.roomState !== 'stopped' || s.stopReason !== 'idle' || s.wake === 'waking' || s.wake === 'refused') return;
  s.wake = 'waking';
  fx.push({ type: 'wake', afterMs });
}

function wakeFailed(s: RoomState, fx: Effect[], e: Extract<RoomEvent, { type: 'wake-failed' }>): void {
  s.wake = 'none';
  // Stopped by its admin or its time limit meanwhile: the page says the room is stopped.
  if (e.code === 'room_stopped') return void (s.stopReason = /time limit/.test(e.message) ? 'time-limit' : 'admin');
  // Too many wakes, or the service away for a moment: ask again later.
  if (e.status === 429 || e.status === 0 || e.status >= 500) return maybeWake(s, fx, e.status === 429 && e.retryAfterS ? e.retryAfterS * 1000 : 2000);
  // No room on the host for it (capacity_exceeded), or refused outright: said, not retried.
  s.wake = 'refused';
  s.wakeRefusal = { code: e.code, message: e.message };
}

function end(s: RoomState, fx: Effect[], reason: NonNullable<RoomState['ended']>['reason'], detail?: string): void {
  s.ended = detail === undefined ? { reason } : { reason, detail };
  fx.push(detail === undefined ? { type: 'end', reason } : { type: 'end', reason, detail });
}

/** noVNC is connected exactly while we drive: ask for a token when we start, let go when we stop. */
function syncInput(s: RoomState, fx: Effect[]): void {
  if (!shouldDrive(s)) {
    if (s.link === 'backoff') {
      s.link = 'idle';
      fx.push({ type: 'cancel-input-retry' });
    }
    s.inputFailures = 0;
    s.inputTrouble = false;
    if (s.input !== 'off') fx.push({ type: 'disconnect-input' });
    if (s.keyboardOpen) fx.push({ type: 'close-keyboard' });
    return;
  }
  if (s.input === 'off' && s.link === 'idle' && s.me) {
    s.link = 'fetching';
    fx.push({ type: 'fetch-token', for: s.me });
  }
}

function failed(s: RoomState): void {
  s.inputFailures++;
  if (s.inputFailures >= 2) s.inputTrouble = true;
}

function retryInput(s: RoomState, fx: Effect[], waitMs?: number): void {
  if (!shouldDrive(s) || s.link !== 'idle') return;
  s.link = 'backoff';
  fx.push({ type: 'schedule-input-retry', ms: waitMs ?? Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(s.inputFailures, 4)) });
}

function flash(s: RoomState, fx: Effect[], text: string, icon: Flash['icon'], tone: Flash['tone'] = 'info'): void {
  const id = ++s.flashSeq;
  s.flashes = [...s.flashes.filter((f) => f.text !== text), { id, text, icon, tone }].slice(-FLASH_MAX);
  fx.push({ type: 'expire-flash', id, ms: FLASH_MS });
}

function sameFields(a: RoomState, b: RoomState): boolean {
  return (Object.keys(b) as (keyof RoomState)[]).every((k) => a[k] === b[k]);
}
