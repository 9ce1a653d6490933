/**
 * The SQLite file: opened in WAL mode, schema upgraded by numbered migrations recorded in
 * PRAGMA user_version. Migrations only ever append: never edit one that has shipped.
 */
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

const MIGRATIONS: string[] = [
  // 1: rooms with their desired state, settings (secrets, admin credential), admin sessions.
  `
  CREATE TABLE rooms (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    config        TEXT NOT NULL,              -- JSON RoomConfig
    password_hash TEXT,                       -- scrypt, NULL when the room is open
    vnc_password  TEXT NOT NULL,              -- secret shared with the room's x11vnc only
    display       INTEGER NOT NULL UNIQUE,    -- X display number :N
    desired_state TEXT NOT NULL CHECK (desired_state IN ('running', 'stopped', 'deleting')),
    last_error    TEXT,                       -- JSON { unit, reason, at } of the last failed start
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
  );
  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,              -- sha256 of the cookie value; the value itself is never stored
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  `,
  // 2: room access grants, one per Join of a password room: revoked one by one (a kick) or all
  // at once (the room's password changed). The cookie holds the token; only its sha256 is kept.
  `
  CREATE TABLE room_grants (
    token_hash TEXT PRIMARY KEY,
    room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX room_grants_by_room ON room_grants (room_id);
  `,
  // 3: idle stop and session caps (rooms/sessionRules.ts): why a room was stopped ('idle' rooms
  // start again when someone opens their link; reconcile leaves them stopped), and when its
  // session began (the time limit counts from there, across restarts of the admin service).
  `
  ALTER TABLE rooms ADD COLUMN stop_reason TEXT CHECK (stop_reason IN ('admin', 'idle', 'time-limit'));
  ALTER TABLE rooms ADD COLUMN started_at TEXT;
  UPDATE rooms SET started_at = updated_at WHERE desired_state = 'running';
  UPDATE rooms SET stop_reason = 'admin' WHERE desired_state = 'stopped';
  `,
  // 4: who is on each room's channel and who drives (presence/rejoins.ts), so that a restart of
  // the admin service gives pages back their identity and the driver control. Only the sha256 of
  // a participant's key is kept; left_at: when their channel closed (they may come back within
  // the grace period), NULL while connected.
  `
  CREATE TABLE room_participants (
    room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    key_hash   TEXT NOT NULL,
    is_admin   INTEGER NOT NULL,
    holder     INTEGER NOT NULL DEFAULT 0,
    left_at    INTEGER,
    PRIMARY KEY (room_id, id)
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  if (path !== ':memory:') chmodSync(path, 0o600); // it holds secrets
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this streambox (${MIGRATIONS.length}); refusing to start`);
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
