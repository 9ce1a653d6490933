/**
 * The latency benchmark of issue 6 (`npm run bench`): real appliance, real room, real browser.
 *
 * It boots the appliance (image/appliance up, as the tests do), creates a room whose kiosk shows
 * the clock page (clockPage.ts: Date.now() as 40 black/white blocks every animation frame, and a
 * press counter), opens the room page in headless Chromium with `?path=fast` and `?path=hls`, and
 * decodes the time from every presented frame (viewerScript.ts). It prints, per path:
 * glass-to-glass p50/p95/min with one decoding viewer alone and with 9 more receive-only clients;
 * the admin service's and nginx's CPU per receive-only viewer (1, 10, 50); input-to-photon
 * (a click on the picture, through noVNC and x11vnc, until the viewer sees the page react); time
 * from opening the room page to its first frame; time from CreateRoom to the first frame; and the
 * room's pipeline CPU. It is a benchmark, not a test: a measurement that fails is reported with
 * its reason and the run goes on.
 *
 * Run as root, one appliance at a time on the machine (fixed ports 8800, 1935, 8080):
 *   flock /tmp/streambox-media.lock npm run bench
 * BENCH_SECONDS (default 20) sets each measuring window. For tuning, BENCH_QUICK=1 measures only
 * the first frame and glass-to-glass with one viewer, BENCH_PATHS=fast (or hls) one path, and
 * BENCH_FFMPEG_DROPIN=FILE adds a drop-in to the room encoder's unit (to try encoder settings).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { bootAppliance, type Appliance } from '../harness/appliance.js';
import { REPO_ROOT } from '../harness/container.js';
import { MARKER, SCREEN, startClockServer, type ClockServer } from './clockPage.js';
import { containerHierarchies, sampleCpu, unitCounter, type UnitCounter } from './cpu.js';
import { startHlsReceivers, startWsReceivers, type Receivers } from './receivers.js';
import { VIEWER_SCRIPT, type BenchState } from './viewerScript.js';

const PORT = 8800;
const WINDOW_MS = Number(process.env.BENCH_SECONDS ?? 20) * 1000;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];
const VIEWPORT = { width: 1280, height: 720 };
const ALL_PATHS = ['fast', 'hls'] as const;
type PathName = (typeof ALL_PATHS)[number];
const PATHS = ALL_PATHS.filter((p) => (process.env.BENCH_PATHS ?? 'fast,hls').split(',').includes(p));
const QUICK = process.env.BENCH_QUICK === '1';
const CLICKS = 15;
const CLICK_SPACING_MS = 600;

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ results

interface Row {
  section: string;
  what: string;
  value: string;
  note: string;
}
const rows: Row[] = [];
function record(section: string, what: string, value: string, note = ''): void {
  rows.push({ section, what, value, note });
  log(`${section} | ${what}: ${value}${note ? ` (${note})` : ''}`);
}
function failed(section: string, what: string, e: unknown): void {
  const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  record(section, what, 'FAILED', reason.slice(0, 200));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
const pct = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)}%` : 'n/a');

/** All cores' busy time from /proc/stat, in ticks: [busy, total]. */
function hostTicks(): [number, number] {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return [total - idle, total];
}
/** Starts watching the whole machine; the returned function says how busy it was since, for the notes. */
function hostLoad(): () => string {
  const [b0, t0] = hostTicks();
  return () => {
    const [b1, t1] = hostTicks();
    const busy = t1 > t0 ? ((b1 - b0) / (t1 - t0)) * 100 : NaN;
    return `machine ${busy.toFixed(0)}% busy, load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`;
  };
}

function machine(): string {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  const memGb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024 / 1024;
  return `${cpus().length} cores, ${model}, ${memGb.toFixed(1)} GB RAM, Node ${process.version}`;
}

function printTable(header: string): void {
  const w = [7, 56, 28];
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(w[0]!)} | ${b.padEnd(w[1]!)} | ${c.padEnd(w[2]!)} | ${d}`;
  const out = ['', '='.repeat(140), header, '='.repeat(140), line('path', 'measure', 'value', 'note'), '-'.repeat(140)];
  for (const r of rows) out.push(line(r.section, r.what, r.value, r.note));
  out.push('='.repeat(140), '');
  process.stdout.write(out.join('\n') + '\n');
}

// ------------------------------------------------------------------ the run

let appliance: Appliance | undefined;
/** While image/appliance up runs: a signal then must wait for it, then stop what it booted. */
let booting: Promise<Appliance> | undefined;
let clock: ClockServer | undefined;
let browser: Browser | undefined;
const openReceivers = new Set<Receivers>();
let cleaning: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const r of openReceivers) await r.close().catch(() => {});
    await browser?.close().catch(() => {});
    if (!appliance && booting) appliance = await booting.catch(() => undefined);
    if (appliance) {
      log('stopping the appliance');
      await appliance.stop().catch((e) => log(`appliance stop: ${(e as Error).message}`));
    }
    await clock?.close().catch(() => {});
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });

interface Viewer {
  page: Page;
  context: BrowserContext;
  openedAt: number;
  /** What the page actually used: 'fast' if it opened the media WebSocket, 'hls' if it fetched a playlist. */
  used(): string;
  state(): Promise<BenchState>;
  close(): Promise<void>;
}

async function main(): Promise<void> {
  const head = `streambox latency benchmark · ${new Date().toISOString()} · ${machine()}`;
  log(head);
  const dirty = execFileSync('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'server', 'web', 'units', 'provisioning'], { encoding: 'utf8' }).trim() ? ' + uncommitted changes in server/web/units/provisioning' : '';
  const codeVersion = `${execFileSync('git', ['-C', REPO_ROOT, 'log', '--oneline', '-1'], { encoding: 'utf8' }).trim()}${dirty}`;
  log(`code: ${codeVersion}`);

  clock = await startClockServer();
  log(`clock page at ${clock.url}`);
  log('booting the appliance (image/appliance up)');
  booting = bootAppliance({ port: PORT, name: `sbx-bench-${process.pid}` });
  appliance = await booting;
  if (cleaning) return; // a signal came during the boot
  const app = appliance;
  // 50 receive-only clients must all get a fast-path seat (the default is 30 per room).
  await app.exec(['sh', '-c', "sed -i 's/^STREAMBOX_FAST_PATH_SEATS=.*/STREAMBOX_FAST_PATH_SEATS=60/' /etc/streambox/streambox.env && systemctl restart streambox-admin"]);
  await waitHealthy(app.baseUrl);
  // Encoder experiments without rebuilding the root: a drop-in for ffmpeg@.service (e.g. another ExecStart).
  if (process.env.BENCH_FFMPEG_DROPIN) {
    const conf = readFileSync(process.env.BENCH_FFMPEG_DROPIN, 'utf8');
    log(`ffmpeg@.service drop-in from ${process.env.BENCH_FFMPEG_DROPIN}`);
    await app.exec(['sh', '-c', `mkdir -p /run/systemd/system/ffmpeg@.service.d && cat > /run/systemd/system/ffmpeg@.service.d/bench.conf <<'EOF'\n${conf}\nEOF\nsystemctl daemon-reload`]);
  }
  const cookie = await app.login();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const b = browser;

  const api = (path: string, init: RequestInit = {}) => fetch(`${app.baseUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', cookie, ...(init.headers ?? {}) } });
  async function createRoom(name: string): Promise<{ id: string; hls: string; createdAt: number }> {
    const createdAt = Date.now();
    const res = await api('/api/rooms', { method: 'POST', body: JSON.stringify({ name, startUrl: clock!.url }) });
    if (res.status !== 201) throw new Error(`CreateRoom: HTTP ${res.status} ${await res.text()}`);
    const room = (await res.json()) as { id: string; stream: { web: Array<{ kind: string; url: string }> } };
    const hlsUrl = new URL(room.stream.web.find((s) => s.kind === 'hls')?.url ?? `/hls/${room.id}.m3u8`, app.baseUrl);
    return { id: room.id, hls: `${app.baseUrl}${hlsUrl.pathname}`, createdAt };
  }
  async function deleteRoom(id: string): Promise<void> {
    const res = await api(`/api/rooms/${id}`, { method: 'DELETE' });
    if (res.status !== 204 && res.status !== 404) log(`DeleteRoom ${id}: HTTP ${res.status}`);
  }
  async function waitLive(id: string, timeoutMs = 90_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < until) {
      const r = (await (await api(`/api/rooms/${id}`)).json()) as { status: { state: string; failure: unknown } };
      last = r.status.state;
      if (last === 'live') return;
      if (last === 'failed') throw new Error(`room failed: ${JSON.stringify(r.status.failure)}`);
      await sleep(500);
    }
    throw new Error(`room not live after ${timeoutMs / 1000} s (state ${last})`);
  }

  async function openViewer(roomId: string, path: PathName): Promise<Viewer> {
    const context = await b.newContext({ viewport: VIEWPORT });
    await context.addInitScript({ content: `try { localStorage.setItem('streambox.name', 'Bench'); } catch {}` });
    await context.addInitScript({ content: VIEWER_SCRIPT });
    const page = await context.newPage();
    const used = new Set<string>();
    page.on('websocket', (ws) => {
      if (/\/api\/rooms\/[^/]+\/media/.test(ws.url())) used.add('fast');
    });
    page.on('request', (req) => {
      if (req.url().includes('.m3u8')) used.add('hls');
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.length < 3 && errors.push(e.message));
    const openedAt = Date.now();
    await page.goto(`${app.baseUrl}/rooms/${roomId}?path=${path}`);
    return {
      page,
      context,
      openedAt,
      used: () => {
        const got = [...used].join('+') || 'none yet';
        return got === path ? got : `${got} (ASKED FOR ${path})`;
      },
      state: () => page.evaluate('window.__bench') as Promise<BenchState>,
      close: () => context.close(),
    };
  }

  async function waitFor<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
    const until = Date.now() + timeoutMs;
    let v = await get();
    while (!ok(v)) {
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(100);
      v = await get();
    }
    return v;
  }
  const firstFrame = (v: Viewer, timeoutMs: number) => waitFor('a presented frame', () => v.state(), (s) => s.firstFrameAt !== null, timeoutMs);
  const firstClock = (v: Viewer, timeoutMs: number) => waitFor('a frame showing the clock page', () => v.state(), (s) => s.firstDecodedAt !== null, timeoutMs);

  /** Glass-to-glass over one window. */
  async function glass(section: string, what: string, v: Viewer): Promise<void> {
    try {
      await v.page.evaluate('window.__bench.delays = []; window.__bench.undecodable = 0; window.__bench.collecting = true');
      const presented0 = (await v.state()).presented;
      const load = hostLoad();
      await sleep(WINDOW_MS);
      const busy = load();
      await v.page.evaluate('window.__bench.collecting = false');
      const s = await v.state();
      const d = [...s.delays].sort((a, c) => a - c);
      if (d.length === 0) throw new Error(`no decodable frame in ${WINDOW_MS / 1000} s (${s.presented - presented0} presented, ${s.undecodable} undecodable, video ${s.videoSize || 'none'}, path used: ${v.used()}${s.errors.length ? `, errors: ${s.errors.join('; ')}` : ''})`);
      record(section, `${what}: p50 / p95 / min`, `${ms(percentile(d, 50))} / ${ms(percentile(d, 95))} / ${ms(d[0]!)}`, `${d.length} frames decoded (${(d.length / (WINDOW_MS / 1000)).toFixed(1)}/s), ${s.undecodable} undecodable, path used: ${v.used()}; ${busy}`);
    } catch (e) {
      failed(section, what, e);
    }
  }

  /**
   * A/V sync: the clock page flashes a square and beeps at every whole second; the viewer notes
   * when each flash is presented and when each beep starts in the player's own sound. Positive:
   * the sound comes after its picture.
   */
  async function avSync(section: string, v: Viewer): Promise<void> {
    const what = 'sound after its picture (A/V offset): p50 / min / max';
    try {
      await v.page.evaluate('window.__benchListen(); window.__bench.flashes = []; window.__bench.beeps = []');
      await sleep(Math.min(WINDOW_MS, 12_000));
      const s = await v.state();
      const offsets = s.beeps.flatMap((b) => {
        const near = s.flashes.filter((f) => Math.abs(b - f) < 500).sort((x, y) => Math.abs(b - x) - Math.abs(b - y))[0];
        return near === undefined ? [] : [b - near];
      });
      // The listener stays: for HLS it has taken over the element's sound, and closing its context
      // would leave the element without an audio clock (its picture then freezes).
      if (offsets.length === 0) throw new Error(`no beep paired with a flash (${s.beeps.length} beeps heard, ${s.flashes.length} flashes seen)`);
      offsets.sort((a, c) => a - c);
      record(section, what, `${ms(percentile(offsets, 50))} / ${ms(offsets[0]!)} / ${ms(offsets.at(-1)!)}`, `${offsets.length} pairs (${s.beeps.length} beeps heard, ${s.flashes.length} flashes seen); within ~10 ms (256-sample audio blocks, frame times)`);
    } catch (e) {
      failed(section, what, e);
    }
  }

  /** Clicks on the marker through the room page (noVNC), and finds the first frame showing each press. */
  async function inputToPhoton(section: string, v: Viewer): Promise<void> {
    const what = `input-to-photon p50 (${CLICKS} clicks)`;
    try {
      const driving = () => v.page.evaluate(`!!document.querySelector('.room-app.driving.input-on')`) as Promise<boolean>;
      if (!(await driving())) {
        await v.page.evaluate(`document.querySelector('.control-btn')?.click()`);
        await waitFor('control (".room-app.driving.input-on")', driving, (d) => d, 20_000);
      }
      await sleep(500);
      const at = (await v.page.evaluate(`(() => {
        const v = document.querySelector('video.media') || document.querySelector('video');
        const r = v.getBoundingClientRect();
        const scale = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
        const w = v.videoWidth * scale, h = v.videoHeight * scale;
        const left = r.left + (r.width - w) / 2, top = r.top + (r.height - h) / 2;
        return { x: left + ${(MARKER.left + MARKER.width / 2) / SCREEN.width} * w, y: top + ${(MARKER.top + MARKER.height / 2) / SCREEN.height} * h };
      })()`)) as { x: number; y: number };
      const before = await v.state();
      const c0 = before.lastCount;
      if (c0 === null) throw new Error('the press counter is not readable in the picture');
      const pressed0 = before.presses.length;
      const nodeTimes: number[] = [];
      for (let i = 0; i < CLICKS; i++) {
        nodeTimes.push(Date.now());
        await v.page.mouse.click(at.x, at.y);
        await sleep(CLICK_SPACING_MS);
      }
      const want = (c0 + CLICKS) % 256;
      const s = await waitFor('the last press to show', () => v.state(), (st) => String(want) in st.counts, 15_000).catch(async () => v.state());
      const pressTimes = s.presses.slice(pressed0);
      const times = pressTimes.length === CLICKS ? pressTimes : nodeTimes;
      const lat: number[] = [];
      for (let k = 1; k <= CLICKS; k++) {
        // Press k shows in the first frame whose counter is k or more (a slow viewer skips counts).
        const seen = Array.from({ length: CLICKS - k + 1 }, (_, j) => s.counts[String((c0 + k + j) % 256)]).filter((t): t is number => t !== undefined);
        if (seen.length > 0) lat.push(Math.min(...seen) - times[k - 1]!);
      }
      if (lat.length === 0) throw new Error(`no press showed in the picture (counter stayed ${s.lastCount}; the page saw ${pressTimes.length} pointerdowns; driving: ${await driving()})`);
      lat.sort((a, c) => a - c);
      record(section, what, ms(percentile(lat, 50)), `${lat.length}/${CLICKS} presses seen, p95 ${ms(percentile(lat, 95))}, min ${ms(lat[0]!)}; click time ${times === pressTimes ? 'from the page' : 'from Node'}`);
    } catch (e) {
      failed(section, what, e);
    }
  }

  function receivers(path: PathName, roomId: string, hlsUrl: string, n: number): Receivers {
    const r =
      path === 'fast'
        ? startWsReceivers(`${app.baseUrl.replace(/^http/, 'ws')}/api/rooms/${roomId}/media`, n, { cookie, origin: app.baseUrl })
        : startHlsReceivers(hlsUrl, n);
    openReceivers.add(r);
    return r;
  }
  async function closeReceivers(r: Receivers): Promise<void> {
    await r.close();
    openReceivers.delete(r);
  }

  // --- 1. CreateRoom to first frame, fast path (this room then serves every measurement) ---
  log('creating the room');
  let room: { id: string; hls: string; createdAt: number };
  {
    room = await createRoom('Latency bench');
    const v = await openViewer(room.id, 'fast');
    try {
      const s = await firstFrame(v, 90_000);
      const c = await firstClock(v, 30_000).catch(() => null);
      record('fast', 'CreateRoom to first frame shown', ms(s.firstFrameAt! - room.createdAt), `clock page readable after ${c ? ms(c.firstDecodedAt! - room.createdAt) : 'never (30 s)'}; path used: ${v.used()}`);
    } catch (e) {
      failed('fast', 'CreateRoom to first frame shown', e);
    }
    await v.close();
  }
  await waitLive(room.id);
  let hier: ReturnType<typeof containerHierarchies> = [];
  try {
    hier = containerHierarchies(await containerPid1(app));
    log(`container cgroups: ${hier.map((h) => `${h.kind} ${h.root}`).join(', ')}`);
  } catch (e) {
    failed('cpu', "the container's cgroups", e);
  }

  // --- 2. Per path: join time, glass-to-glass alone and with 9 receivers, input-to-photon ---
  for (const path of PATHS) {
    log(`--- ${path} path ---`);
    let v: Viewer | null = null;
    try {
      v = await openViewer(room.id, path);
      const s = await firstFrame(v, 30_000);
      record(path, 'room page opened to first frame (running room)', ms(s.firstFrameAt! - v.openedAt), `path used: ${v.used()}`);
    } catch (e) {
      failed(path, 'room page opened to first frame (running room)', e);
    }
    if (v) {
      await sleep(path === 'hls' ? 10_000 : 4000); // let the player settle at its live distance
      await glass(path, 'glass-to-glass, 1 decoding viewer', v);
      await avSync(path, v);
      if (QUICK) {
        await v.close();
        continue;
      }
      const r = receivers(path, room.id, room.hls, 9);
      await sleep(3000);
      const bytes0 = r.bytes();
      await glass(path, 'glass-to-glass, + 9 receive-only clients', v);
      const got = r.bytes() - bytes0;
      const each = (got * 8) / (WINDOW_MS / 1000) / 1e6 / 9;
      record(path, '  the 9 receive-only clients', `${r.connected()}/9 on${each < 0.01 ? ', NO DATA' : ''}`, `${each.toFixed(2)} Mbit/s each${each < 0.01 ? ' (so the line above is not loaded)' : ''}${r.problems().length ? `; ${r.problems().join('; ')}` : ''}`);
      await closeReceivers(r);
      await inputToPhoton(path, v);
      await v.close();
    }
  }

  if (QUICK) {
    printTable(`${head}\ncode: ${codeVersion} (quick)`);
    return;
  }

  // --- 3. CPU: pipeline with no viewer, then admin + nginx per receive-only viewer ---
  log('--- CPU ---');
  const counter = (unit: string): UnitCounter | null => {
    try {
      const c = unitCounter(hier, unit);
      log(`cpu of ${unit}: ${c.how}`);
      return c;
    } catch (e) {
      failed('cpu', unit, e);
      return null;
    }
  };
  const server = ['streambox-admin.service', 'nginx.service'].map(counter).filter((c): c is UnitCounter => c !== null);
  const pipeline = [`xvfb@${room.id}.service`, `ffmpeg@${room.id}.service`, `browser@${room.id}.service`, `pulse@${room.id}.service`].map(counter).filter((c): c is UnitCounter => c !== null);
  let base = new Map<string, number>();
  try {
    await sleep(3000);
    const load = hostLoad();
    base = await sampleCpu([...server, ...pipeline], WINDOW_MS);
    const busy = load();
    const g = (u: string) => base.get(u) ?? NaN;
    const xv = g(`xvfb@${room.id}.service`), ff = g(`ffmpeg@${room.id}.service`);
    record('room', 'pipeline CPU: Xvfb + ffmpeg (no viewer)', pct(xv + ff), `Xvfb ${pct(xv)}, ffmpeg ${pct(ff)} of a core; light page (clock); ${busy}`);
    record('room', 'kiosk Chromium (browser@) CPU', pct(g(`browser@${room.id}.service`)), `PulseAudio ${pct(g(`pulse@${room.id}.service`))}`);
    record('server', 'admin + nginx CPU with no viewer', pct(server.reduce((s, c) => s + (base.get(c.unit) ?? 0), 0)), server.map((c) => `${c.unit.replace('.service', '')} ${pct(base.get(c.unit)!)}`).join(', '));
  } catch (e) {
    failed('room', 'pipeline CPU', e);
  }
  if (server.length > 0) {
    for (const path of PATHS) {
      for (const n of [1, 10, 50]) {
        const what = `admin + nginx CPU per viewer, ${n} receive-only`;
        const r = receivers(path, room.id, room.hls, n);
        try {
          await sleep(3000);
          const bytes0 = r.bytes();
          const load = hostLoad();
          const cpu = await sampleCpu(server, WINDOW_MS);
          const busy = load();
          const on = r.connected();
          const mbit = ((r.bytes() - bytes0) * 8) / (WINDOW_MS / 1000) / 1e6;
          if (on === 0 || mbit < 0.05 * n) throw new Error(`the clients took no stream (${on}/${n} on, ${mbit.toFixed(2)} Mbit/s in all): ${r.problems().join('; ') || 'no error seen'}`);
          const total = server.reduce((s, c) => s + (cpu.get(c.unit) ?? 0), 0);
          const idle = server.reduce((s, c) => s + (base.get(c.unit) ?? 0), 0);
          const detail = server.map((c) => `${c.unit.replace('.service', '')} ${pct(cpu.get(c.unit)!)}`).join(', ');
          // Per viewer actually served (the fast path seats a limited number; the rest are refused).
          const refused = on < n ? `; only ${on}/${n} served: ${r.problems().join('; ')}` : '';
          record(path, what, pct(total / on), `total ${pct(total)} (${detail}); above idle ${pct((total - idle) / on)}/viewer; ${(mbit / on).toFixed(2)} Mbit/s each${refused}; ${busy}`);
        } catch (e) {
          failed(path, what, e);
        }
        await closeReceivers(r);
      }
    }
  }

  // --- 4. CreateRoom to first frame, HLS path (a second room, the first one deleted) ---
  log('--- CreateRoom, hls ---');
  await deleteRoom(room.id);
  await sleep(3000);
  try {
    const r2 = await createRoom('Latency bench (hls)');
    const v = await openViewer(r2.id, 'hls');
    try {
      const s = await firstFrame(v, 90_000);
      const c = await firstClock(v, 30_000).catch(() => null);
      record('hls', 'CreateRoom to first frame shown', ms(s.firstFrameAt! - r2.createdAt), `clock page readable after ${c ? ms(c.firstDecodedAt! - r2.createdAt) : 'never (30 s)'}; path used: ${v.used()}`);
    } finally {
      await v.close();
      await deleteRoom(r2.id);
    }
  } catch (e) {
    failed('hls', 'CreateRoom to first frame shown', e);
  }

  printTable(`${head}\ncode: ${codeVersion}`);
}

async function waitHealthy(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${baseUrl}/api/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(500);
  }
  throw new Error('the admin service did not come back within 60 s');
}

async function containerPid1(app: Appliance): Promise<number> {
  // hostPath gives /proc/PID1/root/...: the same PID the harness finds from nspawn.pid.
  const p = await app.hostPath('/');
  const pid = Number(/^\/proc\/(\d+)\//.exec(p)?.[1]);
  if (!Number.isFinite(pid)) throw new Error(`cannot find the container's PID 1 from ${p}`);
  return pid;
}

main()
  .then(() => cleanup())
  .then(() => process.exit(0))
  .catch(async (e) => {
    log(`benchmark stopped: ${(e as Error).stack ?? e}`);
    if (rows.length > 0) printTable('streambox latency benchmark (incomplete)');
    await cleanup();
    process.exit(1);
  });
