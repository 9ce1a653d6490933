import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { ADMIN_PASSWORD, cookieFrom, json, makeTestApp, type TestApp } from '../support/testApp.js';
import { AdminAuth, INITIAL_PASSWORD_FILE } from '../../server/auth/adminAuth.js';
import { AuthStore } from '../../server/store/authStore.js';
import { openDb } from '../../server/store/db.js';
import { LoginThrottle } from '../../server/auth/throttle.js';
import { silentLogger } from '../../server/log.js';

describe('admin authentication', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp(new FakeRuntime());
  });
  afterEach(() => t.close());

  it('refuses dashboard calls without a session', async () => {
    for (const [method, path] of [
      ['GET', '/api/rooms'],
      ['POST', '/api/rooms'],
      ['GET', '/api/rooms/aaaaaaaaaaaaaaaaaaaaaaaa'],
      ['DELETE', '/api/rooms/aaaaaaaaaaaaaaaaaaaaaaaa'],
    ] as const) {
      const init = method === 'GET' ? { method } : json({ name: 'x', startUrl: 'https://example.org' }, undefined, method);
      const res = await t.app.request(path, init);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect((await res.json()).error.code).toBe('unauthenticated');
    }
  });

  it('refuses a forged or expired-looking session cookie', async () => {
    const res = await t.app.request('/api/rooms', { headers: { cookie: 'sbx_admin=forged' } });
    expect(res.status).toBe(401);
  });

  it('logs in with the right password and sets an HttpOnly, SameSite=Strict cookie', async () => {
    const res = await t.app.request('/api/auth/login', json({ password: ADMIN_PASSWORD }));
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie().join(';');
    expect(setCookie).toMatch(/sbx_admin=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toMatch(/Secure/); // plain http here; behind https it is Secure (next test)
    const list = await t.app.request('/api/rooms', { headers: { cookie: cookieFrom(res) } });
    expect(list.status).toBe(200);
  });

  it('marks the cookie Secure when reached over https through a proxy', async () => {
    const res = await t.app.request('/api/auth/login', { ...json({ password: ADMIN_PASSWORD }), headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' } });
    expect(res.headers.getSetCookie().join(';')).toMatch(/Secure/);
  });

  it('answers 401 to a wrong password and slows down repeated tries', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.app.request('/api/auth/login', json({ password: 'wrong' }));
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('unauthenticated');
    }
    // Five free failures; then every try must wait, even one with the right password.
    const blocked = await t.app.request('/api/auth/login', json({ password: ADMIN_PASSWORD }));
    expect(blocked.status).toBe(429);
    expect((await blocked.json()).error.code).toBe('too_many_attempts');
    expect(blocked.headers.get('retry-after')).toBe('1');
    t.clock.now += 1_000;
    expect((await t.app.request('/api/auth/login', json({ password: 'wrong' }))).status).toBe(401);
    const longer = await t.app.request('/api/auth/login', json({ password: ADMIN_PASSWORD }));
    expect(longer.status).toBe(429);
    expect(longer.headers.get('retry-after')).toBe('2'); // the wait doubles
    t.clock.now += 2_000;
    const ok = await t.app.request('/api/auth/login', json({ password: ADMIN_PASSWORD }));
    expect(ok.status).toBe(200);
  });

  it('rejects malformed login bodies with 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'password'],
      [{ password: 42 }, 'password'],
      [{ password: 'x', extra: 1 }, 'extra'],
      ['not json', 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await t.app.request('/api/auth/login', json(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      const { error } = await res.json();
      expect(error.code).toBe('invalid_argument');
      expect(error.field).toBe(field);
    }
  });

  it('logs out: the old cookie no longer works', async () => {
    const cookie = await t.login();
    expect((await t.app.request('/api/auth/session', { headers: { cookie } })).status).toBe(200);
    await t.app.request('/api/auth/logout', { method: 'POST', headers: { cookie } });
    const res = await t.app.request('/api/rooms', { headers: { cookie } });
    expect(res.status).toBe(401);
  });

  it('changes the password: old sessions end, the new password works, the old does not', async () => {
    const cookie = await t.login();
    const weak = await t.app.request('/api/auth/password', json({ currentPassword: ADMIN_PASSWORD, newPassword: 'short' }, cookie));
    expect(weak.status).toBe(400);
    expect((await weak.json()).error.field).toBe('newPassword');
    const wrong = await t.app.request('/api/auth/password', json({ currentPassword: 'nope', newPassword: 'a much longer password' }, cookie));
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).error.field).toBe('currentPassword');
    const ok = await t.app.request('/api/auth/password', json({ currentPassword: ADMIN_PASSWORD, newPassword: 'a much longer password' }, cookie));
    expect(ok.status).toBe(200);
    expect((await t.app.request('/api/rooms', { headers: { cookie } })).status).toBe(401);
    expect((await t.app.request('/api/auth/login', json({ password: ADMIN_PASSWORD }))).status).toBe(401);
    expect((await t.app.request('/api/auth/login', json({ password: 'a much longer password' }))).status).toBe(200);
  });
});

describe('the admin credential on first start', () => {
  it('generates a password once, stores only its hash, and keeps it across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbx-cred-'));
    try {
      const make = () => {
        const db = openDb(join(dir, 'streambox.db'));
        const auth = new AdminAuth({ store: new AuthStore(db), throttle: new LoginThrottle(Date.now), clock: () => new Date(), log: silentLogger, dataDir: dir, passwordFile: join(dir, 'no-such-file') });
        return { db, auth };
      };
      const first = make();
      const password = await first.auth.ensureCredential();
      expect(password).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){4}$/);
      expect(readFileSync(join(dir, INITIAL_PASSWORD_FILE), 'utf8').trim()).toBe(password);
      const stored = first.db.prepare("SELECT value FROM settings WHERE key = 'admin_password_hash'").get() as { value: string };
      expect(stored.value).toMatch(/^scrypt\$/);
      expect(stored.value).not.toContain(password!);
      await expect(first.auth.login(password!, 'c')).resolves.toHaveProperty('token');
      first.db.close();

      const second = make();
      expect(await second.auth.ensureCredential()).toBeNull(); // not generated again
      await expect(second.auth.login(password!, 'c')).resolves.toHaveProperty('token');
      await second.auth.changePassword(password!, 'another long password', 'c');
      expect(existsSync(join(dir, INITIAL_PASSWORD_FILE))).toBe(false);
      second.db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
