/**
 * What the room page knows of the chat, and how it changes (the chat's part of state.ts and
 * reduce.ts, pure, unit-tested in test/unit/roomChat.test.ts): the entries as the server sent
 * them (the history on each (re)connection replaces them; an entry already seen is not added
 * twice), whether the panel is open, how many messages from others came while it was closed (the
 * badge), and the last refusal to show under the field.
 */
import { CHAT_HISTORY_MAX, type ChatEntry } from '../../../protocol/chat.js';

export type { ChatEntry } from '../../../protocol/chat.js';

export interface ChatState {
  open: boolean;
  entries: ChatEntry[];
  /** Messages from others since the panel was last open. */
  unread: number;
  /** Why the last message or clear was refused (the server's words), until the next one goes through. */
  error: string | null;
  /** Counts refusals, so that the same words twice still read as a new refusal. */
  refusals: number;
}

export type ChatEvent =
  | { type: 'chat-history'; entries: ChatEntry[] }
  | { type: 'chat-entry'; entry: ChatEntry }
  | { type: 'chat-cleared'; entry: ChatEntry }
  | { type: 'chat-open'; open: boolean }
  | { type: 'chat-refused'; message: string }
  /** The channel was not open: nothing went out. */
  | { type: 'chat-not-sent' };

const CHAT_EVENTS: ReadonlySet<string> = new Set(['chat-history', 'chat-entry', 'chat-cleared', 'chat-open', 'chat-refused', 'chat-not-sent']);

export const isChatEvent = (e: { type: string }): e is ChatEvent => CHAT_EVENTS.has(e.type);

export const initialChat = (): ChatState => ({ open: false, entries: [], unread: 0, error: null, refusals: 0 });

/** `me`: this participant's ID now (entries from it never count as unread). */
export function reduceChat(c: ChatState, e: ChatEvent, me: string | null): ChatState {
  switch (e.type) {
    case 'chat-history':
      return { ...c, entries: e.entries.slice(-CHAT_HISTORY_MAX) };
    case 'chat-entry': {
      const last = c.entries[c.entries.length - 1];
      if (last && e.entry.seq <= last.seq) return c; // already in the history that came first
      const fromOther = e.entry.kind === 'message' && e.entry.from !== me;
      const mine = e.entry.kind === 'message' && e.entry.from === me;
      return {
        ...c,
        entries: [...c.entries, e.entry].slice(-CHAT_HISTORY_MAX),
        unread: fromOther && !c.open ? c.unread + 1 : c.unread,
        error: mine ? null : c.error,
      };
    }
    case 'chat-cleared':
      return { ...c, entries: [e.entry], unread: 0, error: null };
    case 'chat-open':
      return e.open === c.open ? c : { ...c, open: e.open, unread: e.open ? 0 : c.unread, error: e.open ? c.error : null };
    case 'chat-refused':
      return { ...c, error: e.message, refusals: c.refusals + 1 };
    case 'chat-not-sent':
      return { ...c, error: 'Not connected yet; try again in a moment.' };
  }
}
