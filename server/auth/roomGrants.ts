/**
 * Access to a password room, one grant per Join: the cookie carries a random token, the store
 * its sha256 (the grant's ID, never sent anywhere). A grant ends when it expires, when the admin
 * removes its holder from the room (a kick), or when the room's password changes (all of them).
 */
import { randomBytes } from 'node:crypto';
import type { GrantStore } from '../store/grantStore.js';
import { sha256 } from './secrets.js';

export const GRANT_TTL_MS = 7 * 24 * 3600_000;

export class RoomGrants {
  constructor(
    private readonly store: GrantStore,
    private readonly now: () => number,
  ) {}

  issue(roomId: string): { token: string; grantId: string; expiresAt: Date } {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now + GRANT_TTL_MS);
    this.store.deleteExpired(new Date(now).toISOString());
    const grantId = sha256(token);
    this.store.add(grantId, roomId, new Date(now).toISOString(), expiresAt.toISOString());
    return { token, grantId, expiresAt };
  }

  /** The grant's ID when this token opens this room, else null. */
  check(roomId: string, token: string | undefined): string | null {
    if (!token || token.length > 128) return null;
    const grantId = sha256(token);
    const grant = this.store.get(grantId);
    return grant && grant.roomId === roomId && grant.expiresAt > new Date(this.now()).toISOString() ? grantId : null;
  }

  revoke(grantId: string): boolean {
    return this.store.delete(grantId);
  }

  revokeRoom(roomId: string): number {
    return this.store.deleteRoom(roomId);
  }
}
