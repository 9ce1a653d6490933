/** Builds the real app (real SQLite file, real auth) around a given runtime, for app.request() tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { silentLogger } from '../../server/log.js';
import { openDb, type Db } from '../../server/store/db.js';
import { RoomStore } from '../../server/store/roomStore.js';
import { AuthStore } from '../../server/store/authStore.js';
import { RoomsService } from '../../server/rooms/service.js';
import { AdminAuth } from '../../server/auth/adminAuth.js';
import { LoginThrottle } from '../../server/auth/throttle.js';
import { VncTokens } from '../../server/control/vncTokens.js';
import { anyoneMayDrive, type ControlPolicy } from '../../server/control/policy.js';
import type { RoomRuntime } from '../../server/runtime/types.js';
import type { AppContext } from '../../server/http/context.js';
import { VncGateway } from '../../server/vnc/gateway.js';

export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface TestApp {
  app: ReturnType<typeof createApp>;
  ctx: AppContext;
  db: Db;
  dir: string;
  clock: { now: number };
  /** Logs in and returns the Cookie header value. */
  login(): Promise<string>;
  close(): void;
}

export async function makeTestApp(runtime: RoomRuntime, opts: { dir?: string; control?: ControlPolicy } = {}): Promise<TestApp> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sbx-api-'));
  const passwordFile = join(dir, 'admin-password');
  writeFileSync(passwordFile, `${ADMIN_PASSWORD}\n`);
  const config = loadConfig({ STREAMBOX_DATA_DIR: dir, STREAMBOX_ADMIN_PASSWORD_FILE: passwordFile, STREAMBOX_ROOMS_ENV_DIR: join(dir, 'rooms') });
  const db = openDb(config.dbPath);
  const clock = { now: Date.parse('2026-11-26T10:00:00Z') };
  const authStore = new AuthStore(db);
  const rooms = new RoomsService({ store: new RoomStore(db), runtime, clock: () => new Date(clock.now), log: silentLogger });
  const auth = new AdminAuth({ store: authStore, throttle: new LoginThrottle(() => clock.now), clock: () => new Date(clock.now), log: silentLogger, dataDir: dir, passwordFile });
  await auth.ensureCredential();
  const vncTokens = new VncTokens(() => clock.now);
  const control = opts.control ?? anyoneMayDrive;
  const ctx: AppContext = {
    config,
    log: silentLogger,
    rooms,
    auth,
    runtime,
    vncTokens,
    control,
    vnc: new VncGateway({ config, log: silentLogger, rooms, vncTokens, control }),
    cookieSecret: authStore.getOrCreateSetting('cookie_secret', () => 'test-secret'),
    storeHealthy: () => db.open,
  };
  const app = createApp(ctx, () => clock.now);
  return {
    app,
    ctx,
    db,
    dir,
    clock,
    async login() {
      const res = await app.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: ADMIN_PASSWORD }) });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      return cookieFrom(res);
    },
    close() {
      rooms.close();
      db.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Cookie header a browser would send back after this response. */
export function cookieFrom(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

export function json(body: unknown, cookie?: string, method = 'POST'): RequestInit {
  return { method, headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
