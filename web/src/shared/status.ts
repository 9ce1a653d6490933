/** A room's state in words and colour, for the dashboard and the room page. Pure. */
import type { MemberRole, Room, RoomState } from './types.js';

export interface StateLook {
  word: string;
  /** CSS colour token for the dot. */
  tone: 'ok' | 'info' | 'warn' | 'danger' | 'idle';
  /** The dot pulses while something is on its way. */
  busy: boolean;
}

const LOOKS: Record<RoomState, StateLook> = {
  live: { word: 'Live', tone: 'ok', busy: false },
  starting: { word: 'Starting', tone: 'info', busy: true },
  restarting: { word: 'Restarting', tone: 'warn', busy: true },
  failed: { word: 'Failed', tone: 'danger', busy: false },
  stopping: { word: 'Stopping', tone: 'idle', busy: true },
  stopped: { word: 'Stopped', tone: 'idle', busy: false },
  deleting: { word: 'Deleting', tone: 'idle', busy: true },
  unknown: { word: 'Unknown', tone: 'warn', busy: false },
};

/** `stopReason`: why a stopped room is stopped (the Room view's status.stopReason); an admin's stop is plain "Stopped". */
export function stateLook(state: RoomState | string, stopReason?: string | null): StateLook {
  const look = LOOKS[state as RoomState] ?? { word: state, tone: 'idle', busy: false };
  if (state !== 'stopped' || !stopReason || stopReason === 'admin') return look;
  return { ...look, word: `Stopped: ${STOP_WORDS[stopReason] ?? stopReason}` };
}

const STOP_WORDS: Record<string, string> = { idle: 'idle', 'time-limit': 'time limit' };

export const ROLE_WORDS: Record<MemberRole, { name: string; what: string }> = {
  display: { name: 'Display', what: 'the virtual screen (Xvfb)' },
  audio: { name: 'Audio', what: 'the sound server (PulseAudio)' },
  browser: { name: 'Browser', what: 'the shared Chromium' },
  input: { name: 'Input', what: 'mouse and keyboard (x11vnc)' },
  stream: { name: 'Stream', what: 'the video encoder (ffmpeg)' },
};

export function roleName(role: string | null | undefined): string {
  if (!role) return 'The room';
  return ROLE_WORDS[role as MemberRole]?.name ?? role;
}

/** One sentence on what is wrong, or null. */
export function failureSentence(room: Pick<Room, 'status'>): string | null {
  const { status } = room;
  if (status.state === 'unknown') return status.detail ? `The state cannot be read: ${status.detail}` : 'The state cannot be read right now.';
  const f = status.failure;
  if (!f) return null;
  return `${roleName(f.role)} ${f.reason}.`;
}
