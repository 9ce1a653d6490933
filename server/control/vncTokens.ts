/**
 * Short-lived, single-use tokens that open a room's VNC WebSocket. Issued only to whoever the
 * control policy lets drive; the VNC gateway consumes them. In memory: a restart of the service
 * invalidates them, which is what we want.
 *
 * Bounded: a holder has at most one unused token (a new one voids the one before), and gets at
 * most `perMinute` a minute (a token bucket), so the map holds about one entry per driver.
 */
import { randomBytes } from 'node:crypto';
import { RateBucket } from './limits.js';

export interface TokenHolder {
  roomId: string;
  /** Who asked: a participant of the room page, or the admin. */
  participantId: string | null;
  isAdmin: boolean;
}

interface Entry extends TokenHolder {
  expiresAt: number;
}

export const VNC_TOKEN_TTL_MS = 30_000;

/** One key per holder of a room. */
export const holderKey = (h: TokenHolder) => `${h.roomId}/${h.participantId ?? (h.isAdmin ? 'admin' : 'anonymous')}`;

export class VncTokens {
  private readonly tokens = new Map<string, Entry>();
  /** Holder key -> its unused token. */
  private readonly byHolder = new Map<string, string>();
  private readonly buckets = new Map<string, RateBucket>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = VNC_TOKEN_TTL_MS,
    private readonly perMinute = 10,
  ) {}

  /** Milliseconds this holder must wait before the next token (0: may have one now). */
  waitMs(holder: TokenHolder): number {
    return this.bucket(holder).waitMs();
  }

  /** Issues a token, or returns null when the holder asked too often (see waitMs). */
  issue(holder: TokenHolder): { token: string; expiresAt: Date } | null {
    this.sweep();
    if (!this.bucket(holder).take()) return null;
    const key = holderKey(holder);
    const previous = this.byHolder.get(key);
    if (previous) this.tokens.delete(previous);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.tokens.set(token, { roomId: holder.roomId, participantId: holder.participantId, isAdmin: holder.isAdmin, expiresAt });
    this.byHolder.set(key, token);
    return { token, expiresAt: new Date(expiresAt) };
  }

  /** Returns the holder once; a second use, a wrong room or an expired token gets null. */
  consume(token: string, roomId: string): TokenHolder | null {
    const entry = this.tokens.get(token);
    if (!entry) return null;
    this.drop(token, entry);
    if (entry.roomId !== roomId || entry.expiresAt <= this.now()) return null;
    return { roomId: entry.roomId, participantId: entry.participantId, isAdmin: entry.isAdmin };
  }

  /** Ends every token of a room (e.g. when control moves). */
  revokeRoom(roomId: string): void {
    for (const [token, entry] of this.tokens) if (entry.roomId === roomId) this.drop(token, entry);
  }

  /** A participant left: forget its rate bucket too. */
  forget(holder: TokenHolder): void {
    const key = holderKey(holder);
    const token = this.byHolder.get(key);
    if (token) this.tokens.delete(token);
    this.byHolder.delete(key);
    this.buckets.delete(key);
  }

  private bucket(holder: TokenHolder): RateBucket {
    const key = holderKey(holder);
    let b = this.buckets.get(key);
    if (!b) {
      b = new RateBucket(this.perMinute / 60, Math.max(1, Math.min(this.perMinute, 5)), this.now);
      this.buckets.set(key, b);
    }
    return b;
  }

  private drop(token: string, entry: Entry): void {
    this.tokens.delete(token);
    const key = holderKey(entry);
    if (this.byHolder.get(key) === token) this.byHolder.delete(key);
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, entry] of this.tokens) if (entry.expiresAt <= now) this.drop(token, entry);
  }
}
