/** SQL for rooms. Nothing above this file writes SQL. */
import type { Db } from './db.js';
import type { DesiredState, RoomConfig, RoomFailure, RoomRecord, StopReason } from '../rooms/types.js';

interface RoomRow {
  id: string;
  name: string;
  config: string;
  password_hash: string | null;
  vnc_password: string;
  display: number;
  desired_state: DesiredState;
  last_error: string | null;
  stop_reason: StopReason | null;
  started_at: string | null;
  created_at: string;
  updated_at: string;
}

function fromRow(row: RoomRow): RoomRecord {
  return {
    id: row.id,
    name: row.name,
    config: JSON.parse(row.config) as RoomConfig,
    passwordHash: row.password_hash,
    vncPassword: row.vnc_password,
    display: row.display,
    desiredState: row.desired_state,
    lastError: row.last_error ? (JSON.parse(row.last_error) as RoomFailure) : null,
    stopReason: row.stop_reason,
    startedAt: row.started_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewRoom {
  id: string;
  name: string;
  config: RoomConfig;
  passwordHash: string | null;
  vncPassword: string;
  now: string;
}

/** Lowest display number handed to rooms; :0-:9 are left for anything else on the host. */
export const FIRST_DISPLAY = 10;

export class RoomStore {
  constructor(private readonly db: Db) {}

  /** Inserts the room with the lowest free display number, in one transaction. */
  insert(room: NewRoom): RoomRecord {
    return this.db.transaction(() => {
      const used = new Set((this.db.prepare('SELECT display FROM rooms').all() as Array<{ display: number }>).map((r) => r.display));
      let display = FIRST_DISPLAY;
      while (used.has(display)) display++;
      this.db
        .prepare(
          `INSERT INTO rooms (id, name, config, password_hash, vnc_password, display, desired_state, last_error, started_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'running', NULL, ?, ?, ?)`,
        )
        .run(room.id, room.name, JSON.stringify(room.config), room.passwordHash, room.vncPassword, display, room.now, room.now, room.now);
      return this.get(room.id)!;
    })();
  }

  get(id: string): RoomRecord | null {
    const row = this.db.prepare('SELECT * FROM rooms WHERE id = ?').get(id) as RoomRow | undefined;
    return row ? fromRow(row) : null;
  }

  list(): RoomRecord[] {
    return (this.db.prepare('SELECT * FROM rooms ORDER BY created_at, rowid').all() as RoomRow[]).map(fromRow);
  }

  setDesiredState(id: string, state: DesiredState, now: string): void {
    this.db.prepare('UPDATE rooms SET desired_state = ?, updated_at = ? WHERE id = ?').run(state, now, id);
  }

  /** Wanted running from now on: a new session (the time limit counts from `now`), no stop reason. */
  setRunning(id: string, now: string): void {
    this.db.prepare("UPDATE rooms SET desired_state = 'running', stop_reason = NULL, started_at = ?, updated_at = ? WHERE id = ?").run(now, now, id);
  }

  /** Wanted stopped, and why. */
  setStopped(id: string, reason: StopReason, now: string): void {
    this.db.prepare("UPDATE rooms SET desired_state = 'stopped', stop_reason = ?, started_at = NULL, updated_at = ? WHERE id = ?").run(reason, now, id);
  }

  /** The session starts again now (the admin extended it): the time limit counts from here. */
  setStartedAt(id: string, now: string): void {
    this.db.prepare('UPDATE rooms SET started_at = ?, updated_at = ? WHERE id = ?').run(now, now, id);
  }

  setLastError(id: string, failure: RoomFailure | null, now: string): void {
    this.db.prepare('UPDATE rooms SET last_error = ?, updated_at = ? WHERE id = ?').run(failure ? JSON.stringify(failure) : null, now, id);
  }

  /** A new password (scrypt hash), or none (null: the room is open). */
  setPasswordHash(id: string, passwordHash: string | null, now: string): void {
    this.db.prepare('UPDATE rooms SET password_hash = ?, updated_at = ? WHERE id = ?').run(passwordHash, now, id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM rooms WHERE id = ?').run(id);
  }
}
