/**
 * The room channel's messages: one WebSocket per participant, GET /api/rooms/:id/events?name=...
 * (server/presence/hub.ts serves it, web/src/room/channel.ts speaks it). Text frames, one JSON
 * object each. Close codes: closeCodes.ts (4004 deleted, 4010 removed, 4011 password, 4029 cap).
 */

import type { ChatClientMessage, ChatServerMessage } from './chat.js';
import { decodeTyped } from './json.js';

/** Longest participant name, in characters (after trimming). */
export const NAME_MAX_CHARS = 40;
/** Longest client message, in characters: anything longer is not read. */
export const CLIENT_MESSAGE_MAX_CHARS = 2048;
/** Longest participant ID a `pass` / `decline` may name. */
export const PARTICIPANT_ID_MAX_CHARS = 64;

/**
 * This participant, as the server made it on this connection. A reconnection that shows the last
 * welcome's ID and key (`resume`) within 30 s of the drop is the same participant again (same ID,
 * a new key); any other is someone new.
 */
export interface Me {
  id: string;
  /** Proves who we are to GetVncToken; never shown to others. */
  key: string;
  name: string;
  isAdmin: boolean;
}

export interface Participant {
  id: string;
  name: string;
  isAdmin: boolean;
}

/** Actions with no argument: ask for control, withdraw the ask, give it up, take it (admin). */
export const SIMPLE_ACTIONS = ['request', 'cancel', 'release', 'take', 'activity'] as const;
/** The holder's answer to someone: hand control over, or turn their request down. */
export const TARGETED_ACTIONS = ['pass', 'decline'] as const;

/** Page -> server. `activity` is accepted and ignored (older pages send it). */
export type ClientMessage =
  | { type: (typeof SIMPLE_ACTIONS)[number] }
  | { type: (typeof TARGETED_ACTIONS)[number]; to: string }
  /** The pointer, as fractions of the picture (0..1). */
  | { type: 'cursor'; x: number; y: number }
  | { type: 'rename'; name: string }
  /** The chat (chat.ts). */
  | ChatClientMessage;

/** Server -> page. */
export type ServerMessage =
  | { type: 'welcome'; you: Me }
  | { type: 'state'; holder: string | null; requests: string[]; participants: Participant[] }
  | { type: 'cursor'; id: string; x: number; y: number }
  | { type: 'idle-warning'; msLeft: number }
  /**
   * The room's state word (status.state), or 'deleted' just before the 4004 close; stopReason is
   * status.stopReason ('idle': the page starts the room again, see POST /api/rooms/:id/wake).
   */
  | { type: 'room'; state: string; stopReason?: string | null }
  /**
   * The room's time limit is near: it stops at endsAt (ISO), msLeft from when this was sent (sent on
   * join too); both null: no longer near (the admin extended the session).
   */
  | { type: 'time-limit'; endsAt: string | null; msLeft: number | null }
  /**
   * `invalid_message`, `rate_limited`, or a control refusal (`not_holder`, `not_admin`, ...).
   * `about: 'chat'` when a chat message or clear was refused (the page shows it in the chat).
   */
  | { type: 'error'; code: string; message: string; about?: 'chat' }
  /** The recording indicator: recording since startedAt, or not; reason: why the last one ended by itself. Sent on join too. */
  | { type: 'recording'; active: boolean; startedAt: string | null; reason: string | null }
  /**
   * The session copied `text` (whole, at most 256 KiB of UTF-8): sent to everyone, only in a room whose
   * clipboard is 'everyone' (the driver also gets it over VNC, in any room not 'off').
   */
  | { type: 'clipboard'; text: string }
  /** The chat (chat.ts). */
  | ChatServerMessage;

export const encodeMessage = (msg: ClientMessage | ServerMessage): string => JSON.stringify(msg);

/** A server message from a text frame; null when it is not JSON with a string `type`. */
export function decodeServerMessage(text: string): ServerMessage | null {
  return decodeTyped(text) as ServerMessage | null;
}

/** The channel's path for a room and a display name. */
/** `resume`: `ID.KEY` of this page's last welcome, to come back as that participant (server/presence/rejoins.ts). */
export const channelPath = (roomId: string, name: string, resume?: string | null): string =>
  `/api/rooms/${roomId}/events?name=${encodeURIComponent(name)}${resume ? `&resume=${encodeURIComponent(resume)}` : ''}`;
