/**
 * What the room page knows, as one value: the room, this participant, who holds control and who
 * asked, the channel, the player and its path, the input link, sound and the open panels. It is
 * changed only by the events below (from the channel, the player, the input link and the user),
 * in reduce.ts; views render from it. Types and pure selectors only: no DOM, no timers.
 */
import type { PlayerPathInfo, PlayerState } from '../player/playerTypes.js';
import type { IconName } from '../shared/icons.js';
import type { Room } from '../shared/types.js';
import type { ChannelStatus, Me, Participant } from './channel.js';
import { initialChat, type ChatEvent, type ChatState } from './chatState.js';

/** noVNC's connection (remoteInput.ts), connected only while this participant drives. */
export type InputState = 'off' | 'connecting' | 'on';

/** How the channel ended for good (channel.ts `onEnd`); the page stops and says why. */
export type EndReason = 'deleted' | 'full' | 'removed' | 'password';

/** A short-lived notice ("Bob is driving now."), gone after FLASH_MS. */
export interface Flash {
  id: number;
  text: string;
  icon: IconName;
  tone: 'info' | 'drive' | 'warn';
}

/** The path the player plays now (player.ts `PlayerOptions.onPath`). */
export type PlayerPath = PlayerPathInfo;

/**
 * The input link's own progress, next to `input` (noVNC's state): 'fetching' while a VNC token is
 * asked for, 'backoff' while a retry is scheduled, else 'idle'.
 */
export type LinkPhase = 'idle' | 'fetching' | 'backoff';

export interface RoomState {
  room: Room;
  /** Our display name: what the channel introduces us with (again after a rename). */
  name: string;
  /** The room's state: from the configuration, then from the channel's `room` messages. */
  roomState: string;
  /** Why a stopped room is stopped ('admin', 'idle', 'time-limit'), or null. */
  stopReason: string | null;
  /**
   * Starting a room that was stopped for being idle (POST /wake): 'waking' while asked, 'woken'
   * once it starts, 'refused' when the host cannot take it (wakeRefusal says why).
   */
  wake: 'none' | 'waking' | 'woken' | 'refused';
  wakeRefusal: { code: string; message: string } | null;
  /** When the room's time limit stops it (Date.now() ms, from the warning), or null. */
  timeLimitAt: number | null;
  channel: ChannelStatus;
  me: Me | null;
  holder: string | null;
  requests: string[];
  participants: Participant[];
  player: PlayerState;
  path: PlayerPath | null;
  input: InputState;
  link: LinkPhase;
  /** Failed input attempts in a row while holding control (reset when input comes on). */
  inputFailures: number;
  /** Input keeps failing while we hold control. */
  inputTrouble: boolean;
  /** When control goes if the driver stays idle (performance.now() ms), or null. */
  idleDeadline: number | null;
  muted: boolean;
  /** The browser refused sound without a gesture; we play muted and offer "Tap to unmute". */
  autoplayMuted: boolean;
  volume: number;
  statsOpen: boolean;
  fullscreen: boolean;
  keyboardOpen: boolean;
  /** The next presence state describes the room as found (after a (re)connection), not a change. */
  fresh: boolean;
  /** We sent 'release' and control has not moved yet. */
  releasing: boolean;
  /** We sent 'cancel' and no presence state has answered yet. */
  cancelling: boolean;
  flashes: Flash[];
  flashSeq: number;
  ended: { reason: EndReason; detail?: string } | null;
  /** The chat panel and what it shows (chatState.ts). */
  chat: ChatState;
}

export type ControlAction = 'request' | 'cancel' | 'release' | 'take';

export type RoomEvent =
  // the channel
  | { type: 'channel-status'; status: ChannelStatus }
  | { type: 'welcome'; you: Me }
  | { type: 'presence'; holder: string | null; requests: string[]; participants: Participant[]; now: number }
  | { type: 'idle-warning'; msLeft: number; now: number }
  | { type: 'room-state'; state: string; stopReason?: string | null }
  | { type: 'time-limit'; at: number | null }
  // the page itself and the wake
  | { type: 'opened' }
  | { type: 'wake-done'; state: string; stopReason: string | null }
  | { type: 'wake-failed'; status: number; code: string; message: string; retryAfterS?: number }
  | { type: 'server-error'; message: string }
  | { type: 'ended'; reason: EndReason; detail?: string }
  // the player
  | { type: 'player-state'; state: PlayerState }
  | { type: 'player-path'; path: PlayerPath | null }
  | { type: 'autoplay-muted' }
  // the input link
  | { type: 'input-state'; state: InputState }
  | { type: 'input-lost' }
  | { type: 'token-ok'; for: Me; url: string }
  | { type: 'token-failed'; status: number; retryAfterS?: number }
  | { type: 'input-retry-due' }
  // the user (after the controller did what they asked)
  | { type: 'control-sent'; action: ControlAction }
  | { type: 'control-not-sent' }
  | { type: 'activity' }
  /** The player's sound after a gesture (mute button, slider, "Tap to unmute"). */
  | { type: 'sound'; muted: boolean; volume: number }
  | { type: 'stats'; open: boolean }
  | { type: 'fullscreen'; on: boolean }
  | { type: 'fullscreen-failed' }
  | { type: 'keyboard'; open: boolean }
  | { type: 'renamed'; name: string }
  | { type: 'flash-expired'; id: number }
  // the chat (chatState.ts)
  | ChatEvent;

/** What a change asks the world to do; the controller (controller.ts) runs it. */
export type Effect =
  | { type: 'fetch-token'; for: Me }
  | { type: 'connect-input'; url: string }
  | { type: 'disconnect-input' }
  | { type: 'schedule-input-retry'; ms: number }
  | { type: 'cancel-input-retry' }
  | { type: 'close-keyboard' }
  | { type: 'wake'; afterMs: number }
  | { type: 'load-player' }
  | { type: 'stop-player' }
  | { type: 'clear-cursors' }
  | { type: 'expire-flash'; id: number; ms: number }
  | { type: 'end'; reason: EndReason; detail?: string };

export const FLASH_MS = 4000;
/** At most this many flashes at once; the oldest goes. */
export const FLASH_MAX = 2;

export function initialState(room: Room, opts: { name: string; canSound: boolean; volume: number }): RoomState {
  return {
    room,
    name: opts.name,
    roomState: room.status.state,
    stopReason: room.status.stopReason ?? null,
    wake: 'none',
    wakeRefusal: null,
    timeLimitAt: null,
    channel: 'connecting',
    me: null,
    holder: null,
    requests: [],
    participants: [],
    player: 'idle',
    path: null,
    input: 'off',
    link: 'idle',
    inputFailures: 0,
    inputTrouble: false,
    idleDeadline: null,
    muted: !opts.canSound,
    autoplayMuted: !opts.canSound,
    volume: opts.volume,
    statsOpen: false,
    fullscreen: false,
    keyboardOpen: false,
    fresh: true,
    releasing: false,
    cancelling: false,
    flashes: [],
    flashSeq: 0,
    ended: null,
    chat: initialChat(),
  };
}

export const amHolder = (s: RoomState) => s.me !== null && s.holder === s.me.id;
export const amRequesting = (s: RoomState) => s.me !== null && s.requests.includes(s.me.id);
export const nameOf = (s: RoomState, id: string | null) => (id ? (s.participants.find((p) => p.id === id)?.name ?? 'someone') : null);
/** The room runs (or is on its way): the picture is wanted. */
export const wantsPicture = (s: RoomState) => !['stopped', 'stopping', 'deleting', 'deleted'].includes(s.roomState);
/** noVNC should be connected: we hold control over an open channel and the room runs. */
export const shouldDrive = (s: RoomState) => amHolder(s) && s.channel === 'open' && wantsPicture(s);
