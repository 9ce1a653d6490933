/**
 * Coming back as the same participant (issue 13): a page whose room channel dropped (a network
 * blip, or a restart of this service) reconnects with `resume=ID.KEY`, the identity its last
 * welcome gave it. Within REJOIN_GRACE_MS of the drop, and when the key matches, it is the same
 * participant again: same ID (so others see no new person and the driver's seat is theirs), with
 * a new key (the old one was in a URL; it is spent). Otherwise it is someone new, as before.
 *
 * What a restart must find is in SQLite (store/participantStore.ts): who was connected, each one's
 * key hash, who drove. At start, restore() says which drivers to wait for: the arbiter keeps their
 * seat for the grace period (ControlArbiter.reserve) so that whoever reconnects first does not
 * take control from them. While the service shuts down, the channels closing are not leaves: the
 * store is frozen first, so the rows say who was there.
 */
import { randomBytes } from 'node:crypto';
import { safeEqual, sha256 } from '../auth/secrets.js';
import type { ParticipantStore } from '../store/participantStore.js';

export const REJOIN_GRACE_MS = 30_000;

/** Longest `resume` parameter read: an ID (12) + '.' + a key (32), with room to spare. */
const RESUME_MAX_CHARS = 128;

export interface Identity {
  id: string;
  key: string;
}

export function newIdentity(): Identity {
  return { id: randomBytes(9).toString('base64url'), key: randomBytes(24).toString('base64url') };
}

export class Rejoins {
  private frozen = false;

  constructor(
    private readonly store: ParticipantStore,
    private readonly now: () => number,
    private readonly graceMs = REJOIN_GRACE_MS,
  ) {}

  /**
   * The identity for a new connection: the one `resume` proves (with a fresh key), if it left this
   * room less than the grace period ago and is not connected now; else a new one.
   */
  identityFor(roomId: string, resume: string | undefined, isConnected: (id: string) => boolean): Identity & { resumed: boolean } {
    const back = this.check(roomId, resume, isConnected);
    return back ? { id: back, key: newIdentity().key, resumed: true } : { ...newIdentity(), resumed: false };
  }

  joined(roomId: string, who: Identity & { isAdmin: boolean }): void {
    if (!this.frozen) this.store.joined(roomId, who.id, sha256(who.key), who.isAdmin);
  }

  left(roomId: string, id: string): void {
    if (this.frozen) return;
    this.store.left(roomId, id, this.now());
    this.store.deleteLeftBefore(this.now() - this.graceMs); // those who did not come back in time
  }

  holderChanged(roomId: string, holder: string | null): void {
    if (!this.frozen) this.store.setHolder(roomId, holder);
  }

  /** From now on nothing is recorded: the service is shutting down and its channels closing. */
  freeze(): void {
    this.frozen = true;
  }

  /** At start: everyone is expected back within the grace period; returns the drivers to wait for. */
  restore(): Array<{ roomId: string; id: string; until: number }> {
    const now = this.now();
    this.store.deleteLeftBefore(now - this.graceMs);
    return this.store
      .closeAll(now)
      .filter((p) => p.holder)
      .map((p) => ({ roomId: p.roomId, id: p.id, until: (p.leftAt ?? now) + this.graceMs }));
  }

  private check(roomId: string, resume: string | undefined, isConnected: (id: string) => boolean): string | null {
    if (!resume || resume.length > RESUME_MAX_CHARS) return null;
    const dot = resume.indexOf('.');
    if (dot <= 0) return null;
    const id = resume.slice(0, dot);
    const row = this.store.get(roomId, id);
    if (!row || row.leftAt === null || isConnected(id)) return null;
    if (this.now() - row.leftAt > this.graceMs) return null;
    return safeEqual(row.keyHash, sha256(resume.slice(dot + 1))) ? id : null;
  }
}
