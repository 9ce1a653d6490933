/**
 * The admin credential and admin sessions.
 *
 * Credential: an operator may put a password in STREAMBOX_ADMIN_PASSWORD_FILE; otherwise the first
 * start generates one, stores only its scrypt hash, prints it once to the journal and leaves it in
 * DATA_DIR/initial-admin-password (0600) until the admin changes it.
 * Sessions: a random token in an HttpOnly cookie; the database keeps only its sha256.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AuthStore } from '../store/authStore.js';
import type { Logger } from '../log.js';
import { hashSecret, sha256, verifySecret } from './secrets.js';
import type { LoginThrottle } from './throttle.js';
import { rateLimited, unauthenticated, invalidArgument } from '../errors.js';

const ADMIN_HASH_KEY = 'admin_password_hash';
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

export interface AdminAuthDeps {
  store: AuthStore;
  throttle: LoginThrottle;
  clock: () => Date;
  log: Logger;
  dataDir: string;
  passwordFile: string;
}

/** Human-friendly generated password: 5 groups of 5 from an unambiguous alphabet (~120 bits). */
function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(25);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
  return chars.match(/.{5}/g)!.join('-');
}

export class AdminAuth {
  constructor(private readonly deps: AdminAuthDeps) {}

  /** Makes sure an admin credential exists; returns the generated password when one was made now. */
  async ensureCredential(): Promise<string | null> {
    const { store, log, passwordFile, dataDir } = this.deps;
    const fromFile = await readFile(passwordFile, 'utf8').then((s) => s.trim(), () => '');
    if (fromFile) {
      const current = store.getSetting(ADMIN_HASH_KEY);
      if (!current || !(await verifySecret(fromFile, current))) {
        store.setSetting(ADMIN_HASH_KEY, await hashSecret(fromFile));
        store.deleteAllSessions();
        log.info('admin password set from file', { file: passwordFile });
      }
      return null;
    }
    if (store.getSetting(ADMIN_HASH_KEY)) return null;
    const password = generatePassword();
    store.setSetting(ADMIN_HASH_KEY, await hashSecret(password));
    const file = join(dataDir, INITIAL_PASSWORD_FILE);
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    log.info(`generated the admin password: ${password} (also in ${file} until you change it)`);
    return password;
  }

  /** Checks the password and returns a new session token. */
  async login(password: string, client: string): Promise<{ token: string; expiresAt: Date }> {
    const { store, throttle, clock } = this.deps;
    const waitMs = throttle.begin(client); // counted before the check (see throttle.ts)
    if (waitMs > 0) throw rateLimited(Math.ceil(waitMs / 1000));
    const hash = store.getSetting(ADMIN_HASH_KEY);
    if (!hash || !(await verifySecret(password, hash))) {
      this.deps.log.warn('admin login failed', { client });
      throw unauthenticated('wrong password');
    }
    throttle.succeeded(client);
    const token = randomBytes(32).toString('base64url');
    const now = clock();
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    store.deleteExpiredSessions(now.toISOString());
    store.addSession(sha256(token), now.toISOString(), expiresAt.toISOString());
    return { token, expiresAt };
  }

  isValidSession(token: string | undefined): boolean {
    if (!token) return false;
    const expiresAt = this.deps.store.sessionExpiry(sha256(token));
    return expiresAt !== null && expiresAt > this.deps.clock().toISOString();
  }

  logout(token: string | undefined): void {
    if (token) this.deps.store.deleteSession(sha256(token));
  }

  /** Changes the password; every other session ends. */
  async changePassword(current: string, next: string, client: string): Promise<void> {
    const { store, throttle, log, dataDir } = this.deps;
    const waitMs = throttle.begin(client);
    if (waitMs > 0) throw rateLimited(Math.ceil(waitMs / 1000));
    const hash = store.getSetting(ADMIN_HASH_KEY);
    if (!hash || !(await verifySecret(current, hash))) throw invalidArgument('currentPassword', 'is wrong');
    throttle.succeeded(client);
    store.setSetting(ADMIN_HASH_KEY, await hashSecret(next));
    store.deleteAllSessions();
    await rm(join(dataDir, INITIAL_PASSWORD_FILE), { force: true });
    log.info('admin password changed');
  }
}
