/**
 * A dev server for the web front end: the real admin app (SQLite, auth, presence, control, VNC
 * gateway) around a FakeRuntime that plays each running room's part with local processes:
 *   - ffmpeg encodes testsrc2 + a quiet sine once and tees it, as the room unit does, to a live
 *     HLS stream where /hls/ID.m3u8 is served and to the fast-path relay's ingest (port + 1),
 *   - Xvfb + x11vnc (-nofb, unix socket, the room's VNC password) give the VNC gateway a real
 *     input service, so the driver's noVNC connects and clicks land on a real X display,
 * while the app itself serves web/dist (/ -> index.html, /rooms/:id -> room.html, /assets/*).
 *
 *   npm run web:build && node --import tsx test/support/devServer.ts [--port 8090] [--seed demo|live|none]
 *                                                                    [--password PW] [--idle SECONDS]
 *
 * --seed demo (default) creates a live room and a failed one; live only the live one; none nothing.
 * --idle shortens the driver's idle timeout (warning halfway), to see the idle warning.
 * Without --password the service generates the admin password, as on a fresh appliance.
 * Ctrl-C (or SIGTERM) stops every child process and removes the temp directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { spawnX11vncLikeTheUnit } from './x11vncUnit.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/context.js';
import { consoleLogger } from '../../server/log.js';
import { openDb } from '../../server/store/db.js';
import { INITIAL_PASSWORD_FILE } from '../../server/auth/adminAuth.js';
import { MEMBER_ROLES, type MemberRole, type RoomRuntimeStatus, type RoomSpec, type UnitState } from '../../server/runtime/types.js';
import { FakeRuntime } from './fakeRuntime.js';
import { createIngestServer } from '../../server/media/ingestServer.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'web', 'dist');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const has = (bin: string) => ['/usr/bin', '/usr/local/bin', '/bin'].some((d) => existsSync(join(d, bin)));

interface RoomProcs {
  procs: ChildProcess[];
  startedAt: string;
  poll: NodeJS.Timeout | null;
}

/** FakeRuntime plus real media processes per running room, and per-room injected failures. */
class DevRuntime extends FakeRuntime {
  readonly rooms = new Map<string, RoomProcs>();
  /** Rooms whose member fails (for the dashboard's failure display). */
  readonly failing = new Map<string, { role: MemberRole; result: string; restarts: number }>();
  /** The next room started gets this failure instead of media processes. */
  failNext: { role: MemberRole; result: string; restarts: number } | null = null;

  constructor(
    private readonly hlsDir: string,
    private readonly vncDir: string,
    private readonly media: { ffmpeg: boolean; vnc: boolean },
    /** Added to a room's display number, so that dev servers on other ports do not collide. */
    private readonly displayOffset: number,
  ) {
    super();
    this.vncSocketDir = vncDir; // startInput's x11vnc listens there
  }

  xDisplay(spec: Pick<RoomSpec, 'display'>): string {
    return `:${this.displayOffset + spec.display}`;
  }

  override async start(spec: RoomSpec): Promise<void> {
    await super.start(spec);
    if (this.failNext) {
      this.failing.set(spec.id, this.failNext);
      this.failNext = null;
    }
    if (this.rooms.has(spec.id)) return;
    const entry: RoomProcs = { procs: [], startedAt: new Date().toISOString(), poll: null };
    this.rooms.set(spec.id, entry);
    if (this.failing.has(spec.id)) return;
    if (this.media.vnc) this.startInput(spec, entry);
    if (this.media.ffmpeg) this.startStream(spec, entry);
    // The stream member turns live once its playlist exists; tell the app when it does.
    entry.poll = setInterval(() => {
      if (existsSync(this.playlist(spec.id))) {
        clearInterval(entry.poll!);
        entry.poll = null;
        this.emit(spec.id);
      }
    }, 300);
  }

  override async stop(roomId: string): Promise<void> {
    await super.stop(roomId);
    await this.kill(roomId);
  }

  override async remove(roomId: string): Promise<void> {
    await super.remove(roomId);
    await this.kill(roomId);
  }

  override async status(roomId: string): Promise<RoomRuntimeStatus> {
    const base = await super.status(roomId);
    const entry = this.rooms.get(roomId);
    const fail = this.failing.get(roomId);
    const on = this.running.has(roomId);
    const unit = (role: MemberRole): UnitState => {
      const u = base.members[role];
      if (!on) return u;
      if (fail?.role === role) return { ...u, activeState: 'failed', subState: 'failed', result: fail.result, since: entry?.startedAt ?? null, restarts: fail.restarts };
      if (role === 'stream' && this.media.ffmpeg && !fail && !existsSync(this.playlist(roomId))) return { ...u, activeState: 'activating', subState: 'start', since: entry?.startedAt ?? null };
      return { ...u, since: entry?.startedAt ?? null };
    };
    return { group: base.group, members: Object.fromEntries(MEMBER_ROLES.map((r) => [r, unit(r)])) as Record<MemberRole, UnitState> };
  }

  /** The CPU of the room's real processes (utime + stime in /proc, at 100 ticks a second). */
  override async cpuTimeNs(roomId: string): Promise<number | null> {
    const entry = this.rooms.get(roomId);
    if (!entry || !this.running.has(roomId)) return null;
    let ticks = 0;
    for (const proc of entry.procs) {
      const stat = await readFile(`/proc/${proc.pid}/stat`, 'utf8').catch(() => '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    }
    return ticks * 1e7;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.rooms.keys()].map((id) => this.kill(id)));
  }

  playlist(roomId: string): string {
    return join(this.hlsDir, `${roomId}.m3u8`);
  }

  private startStream(spec: RoomSpec, entry: RoomProcs): void {
    const font = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
    const clock = existsSync(font) ? `,drawtext=fontfile=${font}:text='%{localtime\\:%X}':x=w-tw-40:y=40:fontsize=h/18:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=14` : '';
    const gop = String(Math.max(1, Math.round(spec.fps / 2)));
    const ffmpeg = spawn(
      'ffmpeg',
      [
        '-hide_banner', '-loglevel', 'error', '-nostdin',
        '-re', '-f', 'lavfi', '-i', `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}`,
        '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
        '-vf', `format=yuv420p${clock}`,
        '-af', 'volume=0.05',
        '-map', '0:v', '-map', '1:a',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
        '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-b:v', `${spec.videoBitrateKbps}k`,
        '-c:a', 'aac', '-b:a', '96k', '-ac', '2',
        '-flags', '+global_header', '-flush_packets', '1',
        // The relay takes a stream only with the room's ingest key in its onMetaData (the room
        // unit reads it from a credential file; on a dev machine the command line will do).
        ...(spec.encoderFiles ? ['-metadata', spec.encoderFiles.ingestMetadata] : []),
        '-f', 'tee',
        [
          `[f=hls:hls_time=0.5:hls_list_size=6:hls_flags=delete_segments+independent_segments+omit_endlist:hls_segment_filename=${join(this.hlsDir, `${spec.id}-%d.ts`)}]${this.playlist(spec.id)}`,
          `[f=flv:select=v]${spec.relayUrl}video`,
          `[f=flv:select=a]${spec.relayUrl}audio`,
        ].join('|'),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    entry.procs.push(ffmpeg);
  }

  private startInput(spec: RoomSpec, entry: RoomProcs): void {
    const display = this.xDisplay(spec);
    const dir = join(this.vncDir, spec.id);
    mkdirSync(dir, { recursive: true });
    const passFile = join(dir, 'vncpass');
    writeFileSync(passFile, `${spec.vncPassword}\n`, { mode: 0o600 });
    const xvfb = spawn('Xvfb', [display, '-screen', '0', `${spec.width}x${spec.height}x24`, '-nolisten', 'tcp'], { stdio: 'ignore' });
    entry.procs.push(xvfb);
    const sock = join(dir, 'vnc.sock');
    const waitForX = setInterval(() => {
      if (!this.rooms.has(spec.id)) return clearInterval(waitForX);
      if (!existsSync(`/tmp/.X11-unix/X${display.slice(1)}`)) return;
      clearInterval(waitForX);
      // The unit's own flags and environment (the clipboard's among them), so the dev loop behaves like the appliance.
      const x11vnc = spawnX11vncLikeTheUnit({ display, sock, passFile, home: dir });
      entry.procs.push(x11vnc);
    }, 100);
  }

  async kill(roomId: string): Promise<void> {
    const entry = this.rooms.get(roomId);
    if (!entry) return;
    this.rooms.delete(roomId);
    if (entry.poll) clearInterval(entry.poll);
    await Promise.all(
      [...entry.procs].reverse().map(
        (p) =>
          new Promise<void>((done) => {
            if (p.exitCode !== null || p.signalCode !== null) return done();
            p.once('exit', () => done());
            p.kill('SIGTERM');
            setTimeout(() => p.kill('SIGKILL'), 3000).unref();
          }),
      ),
    );
    for (const f of [this.playlist(roomId)]) rmSync(f, { force: true });
  }
}

const MIME: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
};

/** A file under `root`, or 404; never outside root. */
async function sendFile(root: string, rel: string, cache: string): Promise<Response> {
  const path = normalize(join(root, rel));
  if (!path.startsWith(root + '/')) return new Response('not found', { status: 404 });
  try {
    if (!(await stat(path)).isFile()) throw new Error('not a file');
    return new Response(await readFile(path), { headers: { 'content-type': MIME[extname(path)] ?? 'application/octet-stream', 'cache-control': cache } });
  } catch {
    return new Response('not found', { status: 404, headers: { 'cache-control': 'no-store' } });
  }
}

async function main(): Promise<void> {
  const port = Number(arg('port', '8090'));
  const seed = arg('seed', 'demo');
  const fixedPassword = arg('password', '');
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('web/dist is missing: run `npm run web:build` first');

  const dir = mkdtempSync(join(tmpdir(), 'sbx-dev-'));
  const hlsDir = join(dir, 'hls');
  const vncDir = join(dir, 'run');
  mkdirSync(hlsDir, { recursive: true });
  const passwordFile = join(dir, 'admin-password');
  if (fixedPassword) writeFileSync(passwordFile, `${fixedPassword}\n`);
  const config = loadConfig({
    STREAMBOX_DATA_DIR: dir,
    STREAMBOX_ADMIN_PASSWORD_FILE: passwordFile,
    STREAMBOX_ROOMS_ENV_DIR: join(dir, 'rooms'),
    STREAMBOX_VNC_SOCKET_DIR: vncDir,
    STREAMBOX_ADMIN_LISTEN: `127.0.0.1:${port}`,
    STREAMBOX_WEB_DIR: DIST,
    STREAMBOX_INGEST_LISTEN: `127.0.0.1:${port + 1}`,
  });
  const media = { ffmpeg: has('ffmpeg'), vnc: has('Xvfb') && has('x11vnc') };
  const runtime = new DevRuntime(hlsDir, vncDir, media, 100 + (port % 100) * 50);
  const db = openDb(config.dbPath);
  const log = { ...consoleLogger, info: () => undefined };
  const idleS = Number(arg('idle', '0'));
  const idle = idleS > 0 ? { idleMs: idleS * 1000, warnMs: Math.round((idleS * 1000) / 2) } : undefined;
  const ctx = createContext({ config, db, runtime, log, ...(idle ? { idle } : {}) });
  await ctx.auth.ensureCredential();
  const password = fixedPassword || readFileSync(join(dir, INITIAL_PASSWORD_FILE), 'utf8').trim();
  ctx.rooms.watchRuntime();
  ctx.presence.start();
  ctx.sessions.start();
  ctx.media.start();
  ctx.roomCpu.start();
  const ingest = createIngestServer(ctx.media, log);
  await new Promise<void>((r) => ingest.listen(config.ingestPort, config.ingestHost, r));
  const api = createApp(ctx);

  if (seed === 'demo' || seed === 'live') {
    await ctx.rooms.create({ name: 'Movie night', config: { width: 1920, height: 1080, fps: 30, videoBitrateKbps: 4000, startUrl: 'https://example.org/' }, password: null });
  }
  if (seed === 'demo') {
    runtime.failNext = { role: 'browser', result: 'start-limit-hit', restarts: 5 };
    await ctx.rooms.create({ name: 'Support desk', config: { width: 1280, height: 720, fps: 30, videoBitrateKbps: 2000, startUrl: 'https://support.example.org/queue' }, password: 'open sesame' });
  }

  // The app serves the API and web/dist (/, /rooms/:id, /assets/*); nginx's part, /hls/, is ours.
  const fetch = async (req: Request, env: unknown): Promise<Response> => {
    const path = new URL(req.url).pathname;
    if (path.startsWith('/hls/') && (req.method === 'GET' || req.method === 'HEAD')) return sendFile(hlsDir, path.slice('/hls/'.length), 'no-cache');
    return api.fetch(req, env as never);
  };

  const server = serve({ fetch, hostname: '127.0.0.1', port, websocket: { server: new WebSocketServer({ noServer: true, maxPayload: 1 << 20 }) } });
  await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(`streambox dev server: ${url}`);
  console.log(`admin password: ${password}`);
  console.log(`media: ffmpeg ${media.ffmpeg ? 'on' : 'missing'}, input (Xvfb + x11vnc) ${media.vnc ? 'on' : 'missing'}; data in ${dir}`);
  for (const room of ctx.rooms.list()) console.log(`room "${room.name}": ${url}/rooms/${room.id}${room.passwordHash ? ' (password: open sesame)' : ''}, X display ${runtime.xDisplay(room)}`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    ctx.presence.stop();
    ctx.media.stop();
    ingest.close();
    server.close();
    await runtime.closeAll();
    ctx.rooms.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
