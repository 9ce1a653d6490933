/**
 * The room chat's part of the room channel (roomChannel.ts carries these messages): what a page
 * may send (a message, a clear, a reaction), what the server sends back (entries, the history a
 * joiner gets, the clear, reactions) and the limits both ends apply. The server keeps the last
 * CHAT_HISTORY_MAX entries per room in memory only (server/presence/chat.ts).
 */

/** Longest chat message, in characters (code points, after trimming). */
export const CHAT_TEXT_MAX_CHARS = 500;
/** Entries the server keeps per room and sends a joiner (messages and notices together). */
export const CHAT_HISTORY_MAX = 100;
/** Chat messages one participant may send: a burst of this many, then one per CHAT_REFILL_MS. */
export const CHAT_BURST = 5;
export const CHAT_REFILL_MS = 2000;
/** The reactions a page may send: a fixed set, so nothing else can be drawn over the picture. */
export const REACTIONS = ['👍', '👏', '😂', '😮', '❤️', '🎉'] as const;
export type Reaction = (typeof REACTIONS)[number];

/**
 * One line of the chat: a participant's message, or a notice the server adds (someone joined or
 * left, control moved, the chat was cleared). `at` is the server's clock (ms since the epoch);
 * `seq` grows per room, so a page can tell entries apart. Names are as they were at that moment.
 */
export type ChatEntry =
  | { kind: 'message'; seq: number; at: number; from: string; name: string; text: string }
  | { kind: 'joined' | 'left'; seq: number; at: number; from: string; name: string }
  /** Control moved to `from` (`name`), or to nobody (both null). */
  | { kind: 'control'; seq: number; at: number; from: string | null; name: string | null }
  /** `name` cleared the chat: the first entry after a clear. */
  | { kind: 'cleared'; seq: number; at: number; from: string; name: string };

/** Page -> server. */
export type ChatClientMessage =
  | { type: 'chat'; text: string }
  /** The admin or the current driver empties the room's chat for everyone. */
  | { type: 'chat-clear' }
  | { type: 'react'; emoji: Reaction };

/** Server -> page. */
export type ChatServerMessage =
  | { type: 'chat'; entry: ChatEntry }
  /** Right after `welcome`: what the room's chat holds now, oldest first. */
  | { type: 'chat-history'; entries: ChatEntry[] }
  /** Everything before is gone; `entry` (kind 'cleared') says who cleared it. */
  | { type: 'chat-cleared'; entry: ChatEntry }
  | { type: 'reaction'; from: string; name: string; emoji: Reaction };
