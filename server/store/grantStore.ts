/** SQL for room access grants (one row per Join of a password room). */
import type { Db } from './db.js';

export class GrantStore {
  constructor(private readonly db: Db) {}

  add(tokenHash: string, roomId: string, createdAt: string, expiresAt: string): void {
    this.db.prepare('INSERT INTO room_grants (token_hash, room_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(tokenHash, roomId, createdAt, expiresAt);
  }

  /** The grant's room and expiry, or null. */
  get(tokenHash: string): { roomId: string; expiresAt: string } | null {
    const row = this.db.prepare('SELECT room_id, expires_at FROM room_grants WHERE token_hash = ?').get(tokenHash) as { room_id: string; expires_at: string } | undefined;
    return row ? { roomId: row.room_id, expiresAt: row.expires_at } : null;
  }

  delete(tokenHash: string): boolean {
    return this.db.prepare('DELETE FROM room_grants WHERE token_hash = ?').run(tokenHash).changes > 0;
  }

  deleteRoom(roomId: string): number {
    return this.db.prepare('DELETE FROM room_grants WHERE room_id = ?').run(roomId).changes;
  }

  deleteExpired(now: string): void {
    this.db.prepare('DELETE FROM room_grants WHERE expires_at <= ?').run(now);
  }
}
