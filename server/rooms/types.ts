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
}

export type DesiredState = 'running' | 'stopped' | 'deleting';

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
  members: Record<MemberRole, MemberStatus> | null;
  /** Set when the runtime could not be asked. */
  detail?: string;
  /** How the encoder keeps up, from the pictures reaching the relay (admin views; null until known). */
  encoder?: EncoderHealth | null;
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
