/** What a room is, independent of HTTP and of the runtime. */
import type { MemberRole } from '../runtime/types.js';
import type { ClipboardMode } from './clipboard.js';

export interface RoomConfig {
  width: number;
  height: number;
  fps: number;
  videoBitrateKbps: number;
  startUrl: string;
  /** URL patterns the kiosk may open (rooms/urlAllowlist.ts); null or absent: every http(s) page. */
  urlAllowlist?: string[] | null;
  /** Who may copy and paste (rooms/clipboard.ts); absent (older rooms): 'driver'. */
  clipboard?: ClipboardMode;
  /** Minutes with nobody in the room before it stops (sessionRules.ts); null or absent: the appliance's default; 0: never. */
  idleStopMinutes?: number | null;
  /** Minutes the room may run before it stops; null or absent: the appliance's default; 0: no limit. */
  maxDurationMinutes?: number | null;
  /** Keep logins (rooms/profiles.ts): the browser's profile survives restarts; absent (older rooms): false. */
  keepLogins?: boolean;
}

export type DesiredState = 'running' | 'stopped' | 'deleting';

/** Why a room was stopped: its admin, nobody in it, or its maximum duration (rooms/sessionRules.ts). */
export type StopReason = 'admin' | 'idle' | 'time-limit';

export interface RoomFailure {
  /** Which part failed (a member role), or null when the whole room could not start. */
  role: MemberRole | null;
  unit: string;
  reason: string;
  at: string;
}

export interface RoomRecord {
  id: string;
  name: string;
  config: RoomConfig;
  passwordHash: string | null;
  vncPassword: string;
  display: number;
  desiredState: DesiredState;
  lastError: RoomFailure | null;
  /** Why it was last stopped (null: it runs, or it never stopped). */
  stopReason: StopReason | null;
  /** When its session began: its start, its wake, or the admin's extension (null: not running). */
  startedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What people are told about a room's processes. */
export type RoomState = 'starting' | 'live' | 'restarting' | 'failed' | 'stopping' | 'stopped' | 'deleting' | 'unknown';

export interface MemberStatus {
  unit: string;
  state: RoomState;
  activeState: string;
  subState: string;
  since: string | null;
  restarts: number | null;
}

export interface RoomStatus {
  state: RoomState;
  desiredState: DesiredState;
  /** The first failed part and why, when state is failed (or the last start failed). */
  failure: RoomFailure | null;
  /** Why a stopped room is stopped: 'admin', 'idle' (nobody in it; opening its link starts it) or 'time-limit'; null unless stopped. */
  stopReason: StopReason | null;
  members: Record<MemberRole, MemberStatus> | null;
  /** Set when the runtime could not be asked. */
  detail?: string;
  /** How the encoder keeps up, from the pictures reaching the relay (admin views; null until known). */
  encoder?: EncoderHealth | null;
  /** What the running room uses (admin views; null when it is not meant to run). */
  usage?: RoomUsage | null;
  /** "Reset browser" is under way (admin views; rooms/profiles.ts). */
  resettingBrowser?: boolean;
}

export interface RoomUsage {
  /** CPU of the room's processes over the last few seconds, in % of one core (top's way); null until measured. */
  cpuPercent: number | null;
  /** Fast-path seats in use (HLS and RTMP viewers are nginx's and not counted). */
  fastPathViewers: number;
}

export interface EncoderHealth {
  /** Pictures per second delivered over the last 5 s, against the room's frame rate. */
  fps: number;
  targetFps: number;
  /** Media time encoded per second (1 = real time; under 1: frames queue up in the encoder). */
  speed: number;
  /** Delivering under 90 % of the frame rate: the host is too busy for this room. */
  behind: boolean;
}
