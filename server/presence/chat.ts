/**
 * The room chat's memory and rules, with no socket in sight: per room, the last CHAT_HISTORY_MAX
 * entries (messages and notices) in a ring, in memory only (gone when the room is deleted or the
 * admin service restarts); a message's text checked like a name (http/text.ts: no control, bidi
 * or invisible characters) and at most CHAT_TEXT_MAX_CHARS; and each participant's rate (a burst
 * of CHAT_BURST, then one per CHAT_REFILL_MS). Refusals are values the channel sends back.
 * Clock injected (`now`), so the rules are unit-tested (test/unit/chat.test.ts).
 */
import { RateBucket } from '../control/limits.js';
import { CLEAN_TEXT_MESSAGE, isCleanText } from '../http/text.js';
import { CHAT_BURST, CHAT_HISTORY_MAX, CHAT_REFILL_MS, CHAT_TEXT_MAX_CHARS, type ChatEntry } from '../../protocol/chat.js';

export interface ChatLimits {
  historyMax: number;
  textMaxChars: number;
  burst: number;
  refillMs: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = { historyMax: CHAT_HISTORY_MAX, textMaxChars: CHAT_TEXT_MAX_CHARS, burst: CHAT_BURST, refillMs: CHAT_REFILL_MS };

export interface ChatRefusal {
  code: 'invalid_argument' | 'rate_limited' | 'permission_denied';
  message: string;
}

export interface Who {
  id: string;
  name: string;
}

/** Entries without their `seq` and `at`, which the log adds. */
type NewEntry = ChatEntry extends infer E ? (E extends ChatEntry ? Omit<E, 'seq' | 'at'> : never) : never;

class Ring {
  private entries: ChatEntry[] = [];
  private seq = 0;

  constructor(private readonly max: number) {}

  add(entry: NewEntry, at: number): ChatEntry {
    const full = { ...entry, seq: ++this.seq, at } as ChatEntry;
    this.entries.push(full);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    return full;
  }

  clear(): void {
    this.entries = [];
  }

  list(): ChatEntry[] {
    return [...this.entries];
  }
}

export class ChatLog {
  private readonly rooms = new Map<string, Ring>();
  private readonly rates = new Map<string, RateBucket>();

  constructor(
    private readonly limits: ChatLimits = DEFAULT_CHAT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The room's entries, oldest first (empty for a room nobody wrote in). */
  history(roomId: string): ChatEntry[] {
    return this.rooms.get(roomId)?.list() ?? [];
  }

  /** A participant's message: the entry to send everyone, or why not (nothing is kept then). */
  post(roomId: string, from: Who, raw: string): { entry: ChatEntry } | { refusal: ChatRefusal } {
    const text = raw.trim();
    const chars = [...text].length;
    if (chars === 0) return { refusal: { code: 'invalid_argument', message: 'text: write something first' } };
    if (chars > this.limits.textMaxChars) return { refusal: { code: 'invalid_argument', message: `text: at most ${this.limits.textMaxChars} characters (this one has ${chars})` } };
    if (!isCleanText(text)) return { refusal: { code: 'invalid_argument', message: `text: ${CLEAN_TEXT_MESSAGE}` } };
    const bucket = this.bucketOf(from.id);
    if (!bucket.take()) {
      const seconds = Math.max(1, Math.ceil(bucket.waitMs() / 1000));
      return { refusal: { code: 'rate_limited', message: `too many messages: at most ${this.limits.burst} in a row, then one every ${this.limits.refillMs / 1000} s; try again in ${seconds} s` } };
    }
    return { entry: this.ring(roomId).add({ kind: 'message', from: from.id, name: from.name, text }, this.now()) };
  }

  /** A notice the server adds to the stream (joins, leaves, control moving). */
  notice(roomId: string, entry: Exclude<NewEntry, { kind: 'message' | 'cleared' }>): ChatEntry {
    return this.ring(roomId).add(entry, this.now());
  }

  /** Empties the room's chat when `allowed` (the admin or the driver); the 'cleared' entry starts it again. */
  clear(roomId: string, by: Who, allowed: boolean): { entry: ChatEntry } | { refusal: ChatRefusal } {
    if (!allowed) return { refusal: { code: 'permission_denied', message: 'only the driver or the admin can clear the chat' } };
    const ring = this.ring(roomId);
    ring.clear();
    return { entry: ring.add({ kind: 'cleared', from: by.id, name: by.name }, this.now()) };
  }

  /** The participant left: their rate goes with them (a reconnection is someone new). */
  forgetParticipant(id: string): void {
    this.rates.delete(id);
  }

  /** The room is gone: so is its chat. */
  forgetRoom(roomId: string): void {
    this.rooms.delete(roomId);
  }

  /** Rooms that have a chat in memory. */
  roomIds(): string[] {
    return [...this.rooms.keys()];
  }

  private ring(roomId: string): Ring {
    let ring = this.rooms.get(roomId);
    if (!ring) this.rooms.set(roomId, (ring = new Ring(this.limits.historyMax)));
    return ring;
  }

  private bucketOf(id: string): RateBucket {
    let bucket = this.rates.get(id);
    if (!bucket) this.rates.set(id, (bucket = new RateBucket(1000 / this.limits.refillMs, this.limits.burst, this.now)));
    return bucket;
  }
}
