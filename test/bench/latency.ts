/**
 * The latency benchmark (`npm run bench`): real appliance, real room, a real browser on another host.
 *
 * It boots the appliance (image/appliance up, as the tests do), creates a room whose kiosk shows
 * the clock page (clockPage.ts: Date.now() as 40 black/white blocks every animation frame, and a
 * press counter), and opens the room page in headless Chromium running in a network namespace
 * (test/harness/netns.ts): a participant's machine, reaching the appliance at its non-loopback
 * address as a participant would, never at 127.0.0.1 (a secure context even on plain HTTP). The
 * paths, each through the address a participant would type:
 *   fast  https://HOST:8443/rooms/ID?path=fast, the appliance's CA trusted: WebCodecs;
 *   mse   http://HOST:8800/rooms/ID (no CA, no ?path=): the page must pick MSE by itself;
 *   hls   http://HOST:8800/rooms/ID?path=hls.
 * The viewer decodes the time from every presented frame (viewerScript.ts). It prints, per path:
 * first frame after opening the page, glass-to-glass p50/p95/min and stalls with one decoding
 * viewer alone and with 9 more receive-only clients, A/V offset, input-to-photon (a click on the
 * picture, through noVNC and x11vnc, until the viewer sees the page react); the admin service's and
 * nginx's CPU per receive-only viewer (1, 10, 50) over wss (TLS), ws and HLS; CreateRoom to first
 * frame; the room's pipeline CPU. It is a benchmark, not a test: a measurement that fails is
 * reported with its reason and the run goes on.
 *
 * Run as root, one appliance at a time on the machine (fixed ports 8800, 8443, 1935, 8080):
 *   flock /tmp/streambox-media.lock npm run bench
 * BENCH_SECONDS (default 20) sets each measuring window. For tuning, BENCH_QUICK=1 measures only
 * the first frame and glass-to-glass with one viewer, BENCH_PATHS=fast,mse (or hls) some paths, and
 * BENCH_FFMPEG_DROPIN=FILE adds a drop-in to the room encoder's unit (to try encoder settings).
 * `priorities` in BENCH_PATHS (off by default) compares CPU shares of the encoder's and kiosk's
 * sessions in alternating windows (priorities.ts; BENCH_PRIORITIES picks them).
 * `webrtc` in BENCH_PATHS (on by default) adds the bare WebRTC baseline in alternating windows with
 * the fast path, and the fast path's per-stage times (webrtcBaseline.ts, stages.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { bootAppliance, type Appliance } from '../harness/appliance.js';
import { launchInNetns, type ParticipantBrowser } from '../harness/browser.js';
import { REPO_ROOT } from '../harness/container.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { applianceCaPath, ensureCertNames, HTTP_PORT, HTTPS_PORT } from '../support/applianceTls.js';
import { startClockServer, type ClockServer } from './clockPage.js';
import { containerHierarchies } from './cpu.js';
import { containerPid1, measureCpu, type ReceiverKind } from './serverCpu.js';
import { avSync, firstClock, firstFrame, glass, inputToPhoton, type Viewer } from './measures.js';
import { startHlsReceivers, startWsReceivers, type Receivers } from './receivers.js';
import { anyRows, failed, log, machine, ms, printTable, record, sleep } from './report.js';
import { VIEWER_SCRIPT, type BenchState } from './viewerScript.js';
import { STAGES_SCRIPT } from './stages.js';
import { prepareAppliance } from './applianceSetup.js';
import { stopWebrtcBaseline, webrtcSection } from './webrtcBaseline.js';
import { prioritySection } from './priorities.js';

const WINDOW_MS = Number(process.env.BENCH_SECONDS ?? 20) * 1000;
const VIEWPORT = { width: 1280, height: 720 };
const ALL_PATHS = ['fast', 'mse', 'hls'] as const;
type PathName = (typeof ALL_PATHS)[number];
const WANTED = (process.env.BENCH_PATHS ?? 'fast,mse,hls,webrtc').split(',');
const PATHS = ALL_PATHS.filter((p) => WANTED.includes(p));
const COMPARE_ROUNDS = Number(process.env.BENCH_COMPARE_ROUNDS ?? 3);
const QUICK = process.env.BENCH_QUICK === '1';
/** What each path's page reports as the path it took. */
const EXPECTED_USE: Record<PathName, string> = { fast: 'fast', mse: 'fast-mse', hls: 'hls' };

// ------------------------------------------------------------------ the run

let appliance: Appliance | undefined;
/** While image/appliance up runs: a signal then must wait for it, then stop what it booted. */
let booting: Promise<Appliance> | undefined;
let clock: ClockServer | undefined;
let viewerHost: Netns | undefined;
let participant: ParticipantBrowser | undefined;
const openReceivers = new Set<Receivers>();
let cleaning: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const r of openReceivers) await r.close().catch(() => {});
    await stopWebrtcBaseline();
    await participant?.close().catch(() => {});
    if (!appliance && booting) appliance = await booting.catch(() => undefined);
    if (appliance) {
      log('stopping the appliance');
      await appliance.stop().catch((e) => log(`appliance stop: ${(e as Error).message}`));
    }
    await viewerHost?.teardown().catch(() => {});
    await clock?.close().catch(() => {});
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });

async function main(): Promise<void> {
  const head = `streambox latency benchmark · ${new Date().toISOString()} · ${machine()}`;
  log(head);
  const dirty = execFileSync('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'server', 'web', 'units', 'provisioning'], { encoding: 'utf8' }).trim() ? ' + uncommitted changes in server/web/units/provisioning' : '';
  const codeVersion = `${execFileSync('git', ['-C', REPO_ROOT, 'log', '--oneline', '-1'], { encoding: 'utf8' }).trim()}${dirty}`;
  log(`code: ${codeVersion}`);

  clock = await startClockServer();
  log(`clock page at ${clock.url}`);
  // The viewer's machine exists before the boot, so the appliance's certificate names the address it dials.
  viewerHost = await createNetns('bench-viewer');
  const host = viewerHost.hostAddress;
  const httpsBase = `https://${host}:${HTTPS_PORT}`;
  const httpBase = `http://${host}:${HTTP_PORT}`;
  log(`viewer on another host (namespace ${viewerHost.name}), dialling ${httpsBase} and ${httpBase}`);
  log('booting the appliance (image/appliance up)');
  booting = bootAppliance({ port: HTTP_PORT, name: `sbx-bench-${process.pid}` });
  appliance = await booting;
  if (cleaning) return; // a signal came during the boot
  const app = appliance;
  await ensureCertNames(app, host);
  await prepareAppliance(app); // more seats, BENCH_FFMPEG_DROPIN (applianceSetup.ts)
  // The operator's API calls stay on the appliance's loopback; only participants come from elsewhere.
  const cookie = await app.login();
  const caPem = readFileSync(applianceCaPath(app));
  // The participant trusts the appliance's CA once, as README tells them to.
  participant = await launchInNetns(viewerHost, { trust: [{ name: 'streambox appliance', pem: applianceCaPath(app) }] });
  const b = participant.browser;

  const api = (path: string, init: RequestInit = {}) => fetch(`${app.baseUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', cookie, ...(init.headers ?? {}) } });
  async function createRoom(name: string): Promise<{ id: string; createdAt: number }> {
    const createdAt = Date.now();
    const res = await api('/api/rooms', { method: 'POST', body: JSON.stringify({ name, startUrl: clock!.url }) });
    if (res.status !== 201) throw new Error(`CreateRoom: HTTP ${res.status} ${await res.text()}`);
    const room = (await res.json()) as { id: string };
    return { id: room.id, createdAt };
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

  function roomLink(roomId: string, path: PathName): string {
    if (path === 'fast') return `${httpsBase}/rooms/${roomId}?path=fast`;
    if (path === 'mse') return `${httpBase}/rooms/${roomId}`; // the page's own choice on plain HTTP
    return `${httpBase}/rooms/${roomId}?path=hls`;
  }

  async function openViewer(roomId: string, path: PathName, stages = false): Promise<Viewer> {
    const context = await b.newContext({ viewport: VIEWPORT });
    if (stages) await context.addInitScript({ content: STAGES_SCRIPT });
    await context.addInitScript({ content: `try { localStorage.setItem('streambox.name', 'Bench'); } catch {}` });
    await context.addInitScript({ content: VIEWER_SCRIPT });
    const page = await context.newPage();
    const seen = new Set<string>();
    page.on('websocket', (ws) => {
      if (/\/api\/rooms\/[^/]+\/media/.test(ws.url())) seen.add('media');
    });
    page.on('request', (req) => {
      if (req.url().includes('.m3u8')) seen.add('hls');
    });
    const openedAt = Date.now();
    await page.goto(roomLink(roomId, path));
    return {
      page,
      context,
      openedAt,
      used: async () => {
        const kinds: string[] = [];
        if (seen.has('media')) kinds.push((await page.evaluate('typeof VideoDecoder === "function"').catch(() => false)) ? 'fast' : 'fast-mse');
        if (seen.has('hls')) kinds.push('hls');
        const got = kinds.join('+') || 'none yet';
        return got === EXPECTED_USE[path] ? got : `${got} (EXPECTED ${EXPECTED_USE[path]})`;
      },
      state: () => page.evaluate('window.__bench') as Promise<BenchState>,
      close: () => context.close(),
    };
  }

  function receivers(kind: ReceiverKind, roomId: string, n: number): Receivers {
    const r =
      kind === 'hls'
        ? startHlsReceivers(`${httpBase}/hls/${roomId}.m3u8`, n)
        : kind === 'wss'
          ? startWsReceivers(`wss://${host}:${HTTPS_PORT}/api/rooms/${roomId}/media`, n, { cookie, origin: httpsBase }, { ca: caPem })
          : startWsReceivers(`ws://${host}:${HTTP_PORT}/api/rooms/${roomId}/media`, n, { cookie, origin: httpBase });
    openReceivers.add(r);
    return r;
  }
  const receiverFor: Record<PathName, ReceiverKind> = { fast: 'wss', mse: 'ws', hls: 'hls' };
  async function closeReceivers(r: Receivers): Promise<void> {
    await r.close();
    openReceivers.delete(r);
  }

  // --- 1. CreateRoom to first frame, fast path (this room then serves every measurement) ---
  log('creating the room');
  let room: { id: string; createdAt: number };
  {
    room = await createRoom('Latency bench');
    const v = await openViewer(room.id, 'fast');
    try {
      const s = await firstFrame(v, 90_000);
      const c = await firstClock(v, 30_000).catch(() => null);
      record('fast', 'CreateRoom to first frame shown', ms(s.firstFrameAt! - room.createdAt), `clock page readable after ${c ? ms(c.firstDecodedAt! - room.createdAt) : 'never (30 s)'}; path used: ${await v.used()}`);
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
      record(path, 'room page opened to first frame (running room)', ms(s.firstFrameAt! - v.openedAt), `path used: ${await v.used()}`);
    } catch (e) {
      failed(path, 'room page opened to first frame (running room)', e);
    }
    if (v) {
      await sleep(path === 'hls' ? 10_000 : 4000); // let the player settle at its live distance
      // MSE's promise is also about stalls: none longer than 500 ms over a minute.
      await glass(path, 'glass-to-glass, 1 decoding viewer', v, path === 'mse' ? Math.max(WINDOW_MS, 60_000) : WINDOW_MS);
      await avSync(path, v, WINDOW_MS);
      if (QUICK) {
        await v.close();
        continue;
      }
      const r = receivers(receiverFor[path], room.id, 9);
      await sleep(3000);
      const bytes0 = r.bytes();
      await glass(path, 'glass-to-glass, + 9 receive-only clients', v, WINDOW_MS);
      const got = r.bytes() - bytes0;
      const each = (got * 8) / (WINDOW_MS / 1000) / 1e6 / 9;
      record(path, '  the 9 receive-only clients', `${r.connected()}/9 on${each < 0.01 ? ', NO DATA' : ''}`, `${each.toFixed(2)} Mbit/s each${each < 0.01 ? ' (so the line above is not loaded)' : ''}${r.problems().length ? `; ${r.problems().join('; ')}` : ''}`);
      await closeReceivers(r);
      await inputToPhoton(path, v);
      await v.close();
    }
  }

  // --- 2b. The bare WebRTC baseline in alternating windows with the fast path; the fast path's stages ---
  if (WANTED.includes('webrtc')) {
    const roomEnv = (await app.exec(['cat', `/etc/streambox/rooms/${room.id}.env`])).stdout;
    await webrtcSection({ roomEnv, clockUrl: clock.url, ns: viewerHost, browser: b, viewport: VIEWPORT, rounds: COMPARE_ROUNDS, windowMs: Math.max(8000, WINDOW_MS / 2), openFast: () => openViewer(room.id, 'fast', true) });
  }

  // --- 2c. CPU shares of the room's sessions, in alternating windows (priorities.ts) ---
  if (WANTED.includes('priorities')) {
    log('--- priorities ---');
    await prioritySection({ app, roomId: room.id, openFast: () => openViewer(room.id, 'fast'), rounds: COMPARE_ROUNDS, windowMs: Math.max(8000, WINDOW_MS / 2) });
  }

  if (QUICK) {
    printTable(`${head}\ncode: ${codeVersion} (quick)`);
    return;
  }

  // --- 3. CPU: pipeline with no viewer, then admin + nginx per receive-only viewer ---
  log('--- CPU ---');
  // wss against ws: what TLS costs per fast-path viewer; HLS for the audience path.
  const kinds = [...new Set(PATHS.map((p) => receiverFor[p]))];
  await measureCpu({ hierarchies: hier, roomId: room.id, windowMs: WINDOW_MS, kinds, receivers: (kind, n) => receivers(kind, room.id, n), closeReceivers });

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
      record('hls', 'CreateRoom to first frame shown', ms(s.firstFrameAt! - r2.createdAt), `clock page readable after ${c ? ms(c.firstDecodedAt! - r2.createdAt) : 'never (30 s)'}; path used: ${await v.used()}`);
    } finally {
      await v.close();
      await deleteRoom(r2.id);
    }
  } catch (e) {
    failed('hls', 'CreateRoom to first frame shown', e);
  }

  printTable(`${head}\ncode: ${codeVersion}`);
}

main()
  .then(() => cleanup())
  .then(() => process.exit(0))
  .catch(async (e) => {
    log(`benchmark stopped: ${(e as Error).stack ?? e}`);
    if (anyRows()) printTable('streambox latency benchmark (incomplete)');
    await cleanup();
    process.exit(1);
  });
