/** SQL for settings (secrets, the admin credential) and admin sessions. */
import type { Db } from './db.js';

export class AuthStore {
  constructor(private readonly db: Db) {}

  getSetting(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Returns the stored value, or stores `make()` if there is none (first start). */
  getOrCreateSetting(key: string, make: () => string): string {
    return this.db.transaction(() => {
      const existing = this.getSetting(key);
      if (existing !== null) return existing;
      const value = make();
      this.setSetting(key, value);
      return value;
    })();
  }

  addSession(tokenHash: string, createdAt: string, expiresAt: string): void {
    this.db.prepare('INSERT INTO admin_sessions (token_hash, created_at, expires_at) VALUES (?, ?, ?)').run(tokenHash, createdAt, expiresAt);
  }

  sessionExpiry(tokenHash: string): string | null {
    const row = this.db.prepare('SELECT expires_at FROM admin_sessions WHERE token_hash = ?').get(tokenHash) as { expires_at: string } | undefined;
    return row?.expires_at ?? null;
  }

  deleteSession(tokenHash: string): void {
    this.db.prepare('DELETE FROM admin_sessions WHERE token_hash = ?').run(tokenHash);
  }

  deleteAllSessions(): void {
    this.db.prepare('DELETE FROM admin_sessions').run();
  }

  deleteExpiredSessions(now: string): void {
    this.db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?').run(now);
  }
}
