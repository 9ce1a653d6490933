/**
 * `npm run bench:host`: what one host holds (issue 13's soak). Boots the appliance, creates 1080p30
 * rooms showing the clock page (redrawn every animation frame: an animated page, the encoder's
 * whole load) until admission refuses one, then reads every admitted room's encoder from the
 * appliance's /metrics every 5 s for BENCH_SOAK_MINUTES (default 10): pictures that reached the
 * relay over the last 5 s (by arrival), the same pictures by their media time (the grab's rate,
 * and the longest step between two: a grab held up freezes the picture that long), and encode
 * speed. Prints, per room, the soak's mean frame rate and its worst 5-s windows, the grab's rate
 * and its freezes, the refusal of the room past capacity, and how busy the machine was. Target:
 * every admitted room ≥ 29.5 fps over the whole soak and in every 5-s window of media time (no
 * picture lost); late arrivals (delay jitter) and freezes are reported beside it.
 *
 * Run it alone on the machine: anything else running measures the machine, not the appliance.
 */
import { execFileSync } from 'node:child_process';
import { bootAppliance, type Appliance } from '../harness/appliance.js';
import { REPO_ROOT } from '../harness/container.js';
import { startClockServer, type ClockServer } from './clockPage.js';
import { hostLoad, log, machine, percentile, printTable, record, sleep } from './report.js';

const HTTP_PORT = 8800;
/** Where the appliance serves Prometheus metrics (its loopback port; the container shares the host's network). */
const METRICS_URL = 'http://127.0.0.1:9464/metrics';
const SOAK_MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
const SAMPLE_MS = 5000;
const TARGET_FPS = 29.5;
/** A step between pictures longer than this (3 frames at 30 fps) is a freeze a viewer sees. */
const FREEZE_MS = 100;
/** No room holds more than this many on one host of this kind: a guard, not a measure. */
const MAX_ROOMS = 8;

let appliance: Appliance | undefined;
let booting: Promise<Appliance> | undefined;
let clock: ClockServer | undefined;

/** One gauge per room from the Prometheus text: `name{room="ID"} value`. */
function perRoom(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${name}\\{room="([^"]+)"\\} (\\S+)$`, 'gm'))) out.set(m[1]!, Number(m[2]));
  return out;
}

async function main(): Promise<void> {
  const head = `streambox host benchmark · ${new Date().toISOString()} · ${machine()}`;
  log(head);
  const code = execFileSync('git', ['-C', REPO_ROOT, 'log', '--oneline', '-1'], { encoding: 'utf8' }).trim();
  clock = await startClockServer();
  log('booting the appliance (image/appliance up)');
  booting = bootAppliance({ port: HTTP_PORT, name: `sbx-bench-host-${process.pid}` });
  appliance = await booting;
  const app = appliance;
  const cookie = await app.login();
  const api = (path: string, init: RequestInit = {}) => fetch(`${app.baseUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', cookie } });

  // Rooms until the host says no: admission decides how many, this bench checks they hold.
  const rooms: string[] = [];
  for (let i = 1; i <= MAX_ROOMS; i++) {
    const res = await api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: `Soak ${i}`, startUrl: clock.url, width: 1920, height: 1080, fps: 30 }) });
    const body = (await res.json()) as { id?: string; error?: { code: string; message: string } };
    if (res.status === 201 && body.id) {
      rooms.push(body.id);
      continue;
    }
    record('host', `room ${i} (1080p30) refused`, `HTTP ${res.status} ${body.error?.code ?? ''}`, body.error?.message ?? '');
    break;
  }
  if (rooms.length === 0) throw new Error('no room was admitted');
  log(`${rooms.length} rooms admitted; letting them settle for 30 s`);
  await sleep(30_000);

  const fps = new Map(rooms.map((id) => [id, [] as number[]]));
  const streamFps = new Map(rooms.map((id) => [id, [] as number[]]));
  const gaps = new Map(rooms.map((id) => [id, [] as number[]]));
  const speed = new Map(rooms.map((id) => [id, [] as number[]]));
  const load = hostLoad();
  const end = Date.now() + SOAK_MINUTES * 60_000;
  while (Date.now() < end) {
    await sleep(SAMPLE_MS);
    const text = await (await fetch(METRICS_URL)).text();
    const [f, m, s, g] = ['encoder_fps', 'stream_fps', 'encoder_speed', 'stream_max_gap_ms'].map((name) => perRoom(text, `streambox_room_${name}`)) as [Map<string, number>, Map<string, number>, Map<string, number>, Map<string, number>];
    for (const id of rooms) {
      fps.get(id)!.push(f.get(id) ?? 0); // a room missing from the metrics delivered nothing
      streamFps.get(id)!.push(m.get(id) ?? 0);
      if (g.has(id)) gaps.get(id)!.push(g.get(id)!);
      if (s.has(id)) speed.get(id)!.push(s.get(id)!);
    }
  }
  const busy = load();

  let held = 0;
  rooms.forEach((id, i) => {
    const windows = [...fps.get(id)!].sort((a, b) => a - b);
    const mean = windows.reduce((a, b) => a + b, 0) / windows.length;
    const stream = [...streamFps.get(id)!].sort((a, b) => a - b);
    const speeds = [...speed.get(id)!].sort((a, b) => a - b);
    const short = stream.filter((x) => x < TARGET_FPS).length;
    if (mean >= TARGET_FPS && short === 0) held++;
    const room = `room ${i + 1} of ${rooms.length}, 1080p30, ${SOAK_MINUTES} min`;
    record('host', `${room}: by arrival`, `${mean.toFixed(2)} fps mean`, `5-s windows: min ${windows[0]!.toFixed(1)}, p5 ${percentile(windows, 5).toFixed(1)}, p50 ${percentile(windows, 50).toFixed(1)} (${windows.length}); encode speed min ${speeds[0]?.toFixed(2) ?? 'n/a'}`);
    record('host', `${room}: by media time`, `min ${stream[0]!.toFixed(1)} fps`, `5-s windows: p5 ${percentile(stream, 5).toFixed(1)}, p50 ${percentile(stream, 50).toFixed(1)}; ${short} of ${stream.length} under ${TARGET_FPS}`);
    const steps = [...gaps.get(id)!].sort((a, b) => a - b);
    const frozen = steps.filter((x) => x > FREEZE_MS).length;
    record('host', `${room}: longest step between pictures`, `p50 ${percentile(steps, 50)} ms, worst ${steps[steps.length - 1] ?? 'n/a'} ms`, `per 5-s window; ${frozen} of ${steps.length} windows froze over ${FREEZE_MS} ms`);
  });
  record('host', `rooms holding ≥ ${TARGET_FPS} fps (mean, and every 5-s window of media time)`, `${held} of ${rooms.length}`, busy);
  printTable(`${head}\ncode: ${code}`);
}

async function cleanup(): Promise<void> {
  if (!appliance && booting) appliance = await booting.catch(() => undefined);
  if (appliance) {
    log('stopping the appliance');
    await appliance.stop().catch((e) => log(`appliance stop: ${(e as Error).message}`));
  }
  await clock?.close().catch(() => {});
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });

main()
  .then(() => cleanup())
  .then(() => process.exit(0))
  .catch(async (e) => {
    log(`benchmark stopped: ${(e as Error).stack ?? e}`);
    await cleanup();
    process.exit(1);
  });
