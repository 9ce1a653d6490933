/** Builds the real app (real SQLite file, real auth) around a given runtime, for app.request() tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { silentLogger } from '../../server/log.js';
import { openDb, type Db } from '../../server/store/db.js';
import type { ControlPolicy } from '../../server/control/policy.js';
import type { AppContext } from '../../server/http/context.js';
import { createContext } from '../../server/context.js';
import { serve, type ServerType } from '@hono/node-server';
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import type { RoomRuntime } from '../../server/runtime/types.js';
import { channelPath } from '../../protocol/roomChannel.js';

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

export async function makeTestApp(runtime: RoomRuntime, opts: { dir?: string; control?: ControlPolicy; env?: Record<string, string> } = {}): Promise<TestApp> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sbx-api-'));
  const passwordFile = join(dir, 'admin-password');
  writeFileSync(passwordFile, `${ADMIN_PASSWORD}\n`);
  // Admission off unless a test sets STREAMBOX_CAPACITY_CORES: the in-memory runtime runs no
  // encoder, and most tests create more 1080p rooms than this machine's cores would admit.
  const config = loadConfig({ STREAMBOX_DATA_DIR: dir, STREAMBOX_ADMIN_PASSWORD_FILE: passwordFile, STREAMBOX_ROOMS_ENV_DIR: join(dir, 'rooms'), STREAMBOX_CAPACITY_CORES: '0', ...opts.env });
  const db = openDb(config.dbPath);
  const clock = { now: Date.parse('2026-11-26T10:00:00Z') };
  const ctx = createContext({ config, db, runtime, log: silentLogger, now: () => clock.now, ...(opts.control ? { control: opts.control } : {}) });
  await ctx.auth.ensureCredential();
  ctx.presence.start();
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
      ctx.recordings.stop();
      ctx.presence.stop();
      ctx.rooms.close();
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

/** Serves the app on a loopback port with WebSockets, as main.ts does. */
export async function listen(t: TestApp): Promise<{ server: ServerType; host: string }> {
  const server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0, websocket: { server: new WebSocketServer({ noServer: true }) } });
  await new Promise<void>((r) => server.once('listening', () => r()));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export interface Member {
  ws: WebSocket;
  you: { id: string; key: string; name: string; isAdmin: boolean };
  messages: Array<Record<string, unknown>>;
  /** Resolves with the first message (already received or future) that matches. */
  next(match: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(msg: object): void;
}

/** Joins a room's channel like the room page does. */
export async function joinRoom(host: string, roomId: string, name: string, cookie?: string, resume?: string): Promise<Member> {
  const ws = new WebSocket(`ws://${host}${channelPath(roomId, name, resume)}`, { headers: { origin: `http://${host}`, ...(cookie ? { cookie } : {}) } });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const w of waiters.splice(0)) w();
  });
  const next: Member['next'] = async (match, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; ) {
      for (; seen < messages.length; seen++) if (match(messages[seen]!)) return messages.splice(seen, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`${name}: no matching message; got ${JSON.stringify(messages)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) => reject(new Error(`join refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const welcome = await next((m) => m.type === 'welcome');
  return { ws, you: welcome.you as Member['you'], messages, next, send: (msg) => ws.send(JSON.stringify(msg)) };
}
