/** SQL for the room channel's participants as a restart must find them (presence/rejoins.ts). */
import type { Db } from './db.js';

export interface ParticipantRow {
  roomId: string;
  id: string;
  keyHash: string;
  isAdmin: boolean;
  holder: boolean;
  /** Milliseconds since the epoch; null while connected. */
  leftAt: number | null;
}

interface Raw {
  room_id: string;
  id: string;
  key_hash: string;
  is_admin: number;
  holder: number;
  left_at: number | null;
}

const row = (r: Raw): ParticipantRow => ({ roomId: r.room_id, id: r.id, keyHash: r.key_hash, isAdmin: r.is_admin === 1, holder: r.holder === 1, leftAt: r.left_at });

export class ParticipantStore {
  constructor(private readonly db: Db) {}

  /** Connected now (a new participant, or one back with a new key). A room deleted meanwhile: nothing. */
  joined(roomId: string, id: string, keyHash: string, isAdmin: boolean): void {
    this.db
      .prepare(
        `INSERT INTO room_participants (room_id, id, key_hash, is_admin, holder, left_at) SELECT ?, ?, ?, ?, 0, NULL WHERE EXISTS (SELECT 1 FROM rooms WHERE id = ?)
         ON CONFLICT (room_id, id) DO UPDATE SET key_hash = excluded.key_hash, is_admin = excluded.is_admin, left_at = NULL`,
      )
      .run(roomId, id, keyHash, isAdmin ? 1 : 0, roomId);
  }

  left(roomId: string, id: string, at: number): void {
    this.db.prepare('UPDATE room_participants SET left_at = ? WHERE room_id = ? AND id = ?').run(at, roomId, id);
  }

  /** The room's driver is now `id` (or nobody). */
  setHolder(roomId: string, id: string | null): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE room_participants SET holder = 0 WHERE room_id = ? AND holder = 1').run(roomId);
      if (id !== null) this.db.prepare('UPDATE room_participants SET holder = 1 WHERE room_id = ? AND id = ?').run(roomId, id);
    })();
  }

  get(roomId: string, id: string): ParticipantRow | null {
    const r = this.db.prepare('SELECT * FROM room_participants WHERE room_id = ? AND id = ?').get(roomId, id) as Raw | undefined;
    return r ? row(r) : null;
  }

  /** After a restart: everyone still marked connected left at `at`; returns every row. */
  closeAll(at: number): ParticipantRow[] {
    this.db.prepare('UPDATE room_participants SET left_at = ? WHERE left_at IS NULL').run(at);
    return (this.db.prepare('SELECT * FROM room_participants').all() as Raw[]).map(row);
  }

  deleteLeftBefore(at: number): void {
    this.db.prepare('DELETE FROM room_participants WHERE left_at IS NOT NULL AND left_at < ?').run(at);
  }
}
