/**
 * Short-lived, single-use tokens that open a room's VNC WebSocket. Issued only to whoever the
 * control policy lets drive; the VNC gateway consumes them. In memory: a restart of the service
 * invalidates them, which is what we want.
 */
import { randomBytes } from 'node:crypto';

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

export class VncTokens {
  private readonly tokens = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = VNC_TOKEN_TTL_MS,
  ) {}

  issue(holder: TokenHolder): { token: string; expiresAt: Date } {
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.tokens.set(token, { ...holder, expiresAt });
    return { token, expiresAt: new Date(expiresAt) };
  }

  /** Returns the holder once; a second use, a wrong room or an expired token gets null. */
  consume(token: string, roomId: string): TokenHolder | null {
    const entry = this.tokens.get(token);
    if (!entry) return null;
    this.tokens.delete(token);
    if (entry.roomId !== roomId || entry.expiresAt <= this.now()) return null;
    return { roomId: entry.roomId, participantId: entry.participantId, isAdmin: entry.isAdmin };
  }

  /** Ends every token of a room (e.g. when control moves). */
  revokeRoom(roomId: string): void {
    for (const [token, entry] of this.tokens) if (entry.roomId === roomId) this.tokens.delete(token);
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, entry] of this.tokens) if (entry.expiresAt <= now) this.tokens.delete(token);
  }
}
