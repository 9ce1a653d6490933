/**
 * Metrics (issue 13 part 4): GET /api/metrics for the admin and the loopback listener for
 * Prometheus, both in the text format, with figures read back from what happened: rooms by state,
 * per-room frame rate and people, API errors by code, admission refusals, control changes; and a
 * scrape costs the runtime nothing in steady state.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { json, makeTestApp, type TestApp } from '../support/testApp.js';
import { createMetricsServer, parseMetricsListen } from '../../server/metrics/listener.js';

/** The value of one sample (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let runtime: FakeRuntime;
  let t: TestApp;
  let cookie: string;

  beforeEach(async () => {
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime, { env: { STREAMBOX_CAPACITY_CORES: '1.8' } });
    t.ctx.rooms.watchRuntime();
    cookie = await t.login();
  });
  afterEach(() => t.close());

  const scrape = async () => {
    const res = await t.app.request('/api/metrics', { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  const create = (body: object) => t.app.request('/api/rooms', json({ name: 'm', startUrl: 'https://example.org', ...body }, cookie));

  it('counts rooms by state and gives each room its frame rate and people', async () => {
    const { id } = (await (await create({ fps: 25 })).json()) as { id: string };
    let text = await scrape();
    expect(sample(text, 'streambox_rooms{state="live"}')).toBe(1);
    expect(sample(text, `streambox_room_target_fps{room="${id}"}`)).toBe(25);
    expect(sample(text, `streambox_room_participants{room="${id}"}`)).toBe(0);
    expect(sample(text, `streambox_room_member_restarts{room="${id}",role="stream"}`)).toBe(0);
    expect(text).toMatch(/^streambox_admin_process_resident_memory_bytes \d+/m);
    await t.app.request(`/api/rooms/${id}/stop`, json({}, cookie));
    text = await scrape();
    expect(sample(text, 'streambox_rooms{state="stopped"}')).toBe(1);
    expect(sample(text, 'streambox_rooms{state="live"}')).toBeUndefined();
  });

  it('gives each running room its CPU, on the metrics and on the dashboard, from the runtime\'s counters', async () => {
    const { id } = (await (await create({})).json()) as { id: string };
    runtime.cpuNs.set(id, 4e9);
    await t.ctx.roomCpu.sample();
    t.clock.now += 5000;
    runtime.cpuNs.set(id, 4e9 + 4.35e9); // 4.35 s of CPU in 5 s
    await t.ctx.roomCpu.sample();
    expect(sample(await scrape(), `streambox_room_cpu_percent{room="${id}"}`)).toBeCloseTo(87, 6);
    const room = (await (await t.app.request(`/api/rooms/${id}`, { headers: { cookie } })).json()) as { status: { usage: unknown } };
    expect(room.status.usage).toEqual({ cpuPercent: 87, fastPathViewers: 0 });

    await t.app.request(`/api/rooms/${id}/stop`, json({}, cookie));
    await t.ctx.roomCpu.sample();
    expect(sample(await scrape(), `streambox_room_cpu_percent{room="${id}"}`)).toBeUndefined();
    const stopped = (await (await t.app.request(`/api/rooms/${id}`, { headers: { cookie } })).json()) as { status: { usage: unknown } };
    expect(stopped.status.usage).toBeNull();
  });

  it('counts API errors by code and status, and admission refusals', async () => {
    await create({ width: 3 });
    await create({ width: 3 });
    await t.app.request('/api/rooms/aaaaaaaaaaaaaaaaaaaaaaaa', { headers: { cookie } });
    await create({});
    await create({});
    expect((await create({})).status).toBe(409);
    const text = await scrape();
    expect(sample(text, 'streambox_api_errors_total{code="invalid_argument",status="400"}')).toBe(2);
    expect(sample(text, 'streambox_api_errors_total{code="not_found",status="404"}')).toBe(1);
    expect(sample(text, 'streambox_api_errors_total{code="capacity_exceeded",status="409"}')).toBe(1);
    expect(sample(text, 'streambox_admission_refusals_total')).toBe(1);
  });

  it('counts control changes per room', async () => {
    const { id } = (await (await create({})).json()) as { id: string };
    const arbiter = t.ctx.arbiter;
    arbiter.join(id, { id: 'p1', name: 'Ana', isAdmin: false });
    arbiter.join(id, { id: 'p2', name: 'Ben', isAdmin: false });
    arbiter.request(id, 'p1'); // nobody drove: Ana does
    arbiter.pass(id, 'p1', 'p2');
    arbiter.release(id, 'p2');
    expect(sample(await scrape(), `streambox_control_changes_total{room="${id}"}`)).toBe(3);
  });

  it('costs the runtime nothing per scrape in steady state', async () => {
    await create({});
    await scrape();
    const before = runtime.statusReads;
    for (let i = 0; i < 5; i++) await scrape();
    expect(runtime.statusReads - before).toBe(0);
  });

  it('is for the admin only on the API', async () => {
    const res = await t.app.request('/api/metrics');
    expect(res.status).toBe(401);
  });

  it('is served on the loopback listener without a login, and nothing else is', async () => {
    await create({});
    const server = createMetricsServer(t.ctx.metrics, t.ctx.log);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(sample(await res.text(), 'streambox_rooms{state="live"}')).toBe(1);
      expect((await fetch(`${base}/`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      server.close();
    }
  });

  it('STREAMBOX_METRICS_LISTEN: host:port, off, or a clear error', () => {
    expect(parseMetricsListen(undefined)).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseMetricsListen('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseMetricsListen('off')).toBeNull();
    expect(() => parseMetricsListen('9464')).toThrow(/STREAMBOX_METRICS_LISTEN/);
  });
});
