/**
 * The systemd runtime against a real systemd (Debian 13 in systemd-nspawn) over its real D-Bus
 * system bus, with stand-in room units from fixtures/units (same names and dependencies as units/,
 * tiny processes). Also drives the admin API end to end on top of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootContainer, buildRoot, requireRoot, type Container } from '../harness/container.js';
import { SystemdRuntime } from '../../server/runtime/systemd/runtime.js';
import { RuntimeJobError, type RoomSpec } from '../../server/runtime/types.js';
import { roomStatus } from '../../server/rooms/status.js';
import { silentLogger } from '../../server/log.js';
import { newRoomId } from '../../server/rooms/ids.js';
import { makeTestApp, json } from '../support/testApp.js';
import { RoomsService } from '../../server/rooms/service.js';
import { RoomStore } from '../../server/store/roomStore.js';
import { openDb } from '../../server/store/db.js';
import { eventually } from '../support/eventually.js';

const FIXTURE_UNITS = join(import.meta.dirname, 'fixtures', 'units');


function spec(startUrl = 'https://example.org/?q="quoted"&v=$HOME'): RoomSpec {
  return { id: newRoomId(), display: 10, width: 1280, height: 720, fps: 30, videoBitrateKbps: 2000, startUrl, vncPassword: 'secret12', relayUrl: 'http://127.0.0.1:9/ingest' };
}

describe('SystemdRuntime on a real systemd', () => {
  let work: string;
  let envDir: string;
  let container: Container;
  let runtime: SystemdRuntime;

  beforeAll(async () => {
    requireRoot();
    work = await mkdtemp(join(tmpdir(), 'sbx-runtime-'));
    envDir = join(work, 'rooms');
    await mkdir(envDir);
    const root = await buildRoot({ name: 'trixie-minimal' });
    container = await bootContainer({
      root,
      name: `sbx-rt-${process.pid}`,
      stateDir: join(work, 'state'),
      binds: [
        { host: FIXTURE_UNITS, guest: '/usr/local/lib/systemd/system', readOnly: true },
        { host: envDir, guest: '/etc/streambox/rooms' },
      ],
    });
    await container.waitRunning();
    runtime = new SystemdRuntime({ busAddress: container.busAddress, envDir, rtmpUrlBase: 'rtmp://127.0.0.1:1935/live', log: silentLogger, jobTimeoutMs: 20_000 });
  }, 600_000);

  afterAll(async () => {
    await runtime?.close();
    await container?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 120_000);

  it('answers health with systemd version and state', async () => {
    const health = await runtime.health();
    expect(health.ok).toBe(true);
    expect(health.detail).toMatch(/^systemd \d+/);
  });

  it('starts every member, passes the env file through verbatim, and stops them all', async () => {
    const s = spec();
    const seen: Array<string | null> = [];
    const unwatch = runtime.watch((id) => seen.push(id));
    await runtime.start(s);

    const status = await runtime.status(s.id);
    expect(status.group).toMatchObject({ unit: `room@${s.id}.target`, activeState: 'active' });
    for (const member of Object.values(status.members)) expect(member.activeState, member.unit).toBe('active');
    expect(roomStatus('running', status, null).state).toBe('live');
    expect(await runtime.listRunning()).toContain(s.id);

    // The unit read the env file the runtime wrote: quotes, $ and & survived.
    const url = await container.exec(['cat', `/run/sbx-test/${s.id}/start-url`]);
    expect(url.stdout).toBe(s.startUrl);
    expect(readFileSync(join(envDir, `${s.id}.vncpass`), 'utf8').trim()).toBe('secret12');
    // PropertiesChanged / JobRemoved reached the watcher for this room.
    await eventually('watch events', async () => seen.filter((id) => id === s.id).length, (n) => n > 0);

    await runtime.stop(s.id);
    const stopped = await runtime.status(s.id);
    for (const member of Object.values(stopped.members)) expect(member.activeState, member.unit).toBe('inactive');
    expect(stopped.group.activeState).toBe('inactive');
    expect(await runtime.listRunning()).not.toContain(s.id);
    await runtime.remove(s.id);
    expect(existsSync(join(envDir, `${s.id}.env`))).toBe(false);
    expect(existsSync(join(envDir, `${s.id}.vncpass`))).toBe(false);
    unwatch();
  });

  /** The host directory of the container's cgroup v2 root, found from one of its units. */
  async function hostCgroupRoot(unit: string): Promise<string> {
    const inside = (await container.exec(['systemctl', 'show', '-P', 'ControlGroup', unit])).stdout.trim();
    const found = execFileSync('find', ['/sys/fs/cgroup/unified', '/sys/fs/cgroup', '-xdev', '-type', 'd', '-name', unit], { encoding: 'utf8' })
      .split('\n')
      .find((dir) => dir.endsWith(inside));
    if (!inside || !found) throw new Error(`no host cgroup for ${unit} (${inside})`);
    return found.slice(0, -inside.length);
  }

  it("counts the CPU time of a room's processes, and has none for a stopped room", async () => {
    const s = spec('https://example.org/busy');
    await runtime.start(s);
    // The stand-in encoder spins for 2 s: on a busy 2-core machine it still gets a good part of a core.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // This test runs on the container's host: its units' cgroups are deeper in the host's tree.
    // (systemd in the container reports no CPUUsageNSec on a hybrid-cgroup host: the fallback.)
    const hostView = new SystemdRuntime({ busAddress: container.busAddress, envDir, rtmpUrlBase: 'rtmp://127.0.0.1:1935/live', log: silentLogger, cgroupRoot: await hostCgroupRoot(`ffmpeg@${s.id}.service`) });
    const ns = await hostView.cpuTimeNs(s.id);
    await hostView.close();
    expect(ns).not.toBeNull();
    expect(ns!).toBeGreaterThan(0.3e9);
    expect(ns!).toBeLessThan(10e9);
    await runtime.stop(s.id);
    expect(await runtime.cpuTimeNs(s.id)).toBeNull();
    await runtime.remove(s.id);
    expect(await runtime.cpuTimeNs(s.id)).toBeNull();
  });

  it('names the member that failed even though the target job says done', async () => {
    const s = spec('https://example.org/fail');
    await runtime.start(s); // the target's job is "done": Wants= does not propagate failure
    const status = await eventually('browser failure', () => runtime.status(s.id), (st) => st.members.browser.activeState === 'failed');
    expect(status.members.browser).toMatchObject({ unit: `browser@${s.id}.service`, result: 'exit-code' });
    expect(status.members.display.activeState).toBe('active');
    const words = roomStatus('running', status, null);
    expect(words.state).toBe('failed');
    expect(words.failure).toMatchObject({ role: 'browser', unit: `browser@${s.id}.service`, reason: 'exited with an error' });
    await runtime.stop(s.id);
    await runtime.remove(s.id);
    // Removed means forgotten: no failed member left loaded (and listed) for a deleted room.
    const loaded = await container.exec(['systemctl', 'list-units', '--all', '--plain', '--no-legend', `*@${s.id}.*`]);
    expect(loaded.stdout.trim(), 'units still loaded after remove').toBe('');
  });

  it('turns a start that outlives its timeout into a typed error', async () => {
    const quick = new SystemdRuntime({ busAddress: container.busAddress, envDir, rtmpUrlBase: 'rtmp://x/live', log: silentLogger, jobTimeoutMs: 1000 });
    const s = spec('https://example.org/slow');
    const err = await quick.start(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeJobError);
    expect((err as RuntimeJobError).result).toBe('timeout');
    await quick.stop(s.id);
    await quick.remove(s.id);
    await quick.close();
  });

  it('stopping a room systemd never heard of is not an error', async () => {
    await expect(runtime.stop(newRoomId())).resolves.toBeUndefined();
  });

  it('re-reads everything after a daemon reload', async () => {
    const seen: Array<string | null> = [];
    const unwatch = runtime.watch((id) => seen.push(id));
    await container.exec(['systemctl', 'daemon-reload']);
    await eventually('reload notice', async () => seen.includes(null), (v) => v);
    unwatch();
  });

  it('reconnects when the bus goes away and comes back, and keeps watching', async () => {
    const seen: Array<string | null> = [];
    const unwatch = runtime.watch((id) => seen.push(id));
    await runtime.health();
    const restart = await container.exec(['systemctl', 'restart', 'dbus.service']);
    expect(restart.code, restart.stderr).toBe(0);
    await eventually('health after the bus restart', () => runtime.health(), (h) => h.ok, 30_000);
    expect(seen).toContain(null); // watchers were told to re-read everything
    // Signals flow again on the new connection (Subscribe and match rules were renewed).
    const s = spec();
    seen.length = 0;
    await runtime.start(s);
    await eventually('watch events after reconnect', async () => seen.includes(s.id), (v) => v);
    await runtime.stop(s.id);
    await runtime.remove(s.id);
    unwatch();
  }, 60_000);

  it('reconciles after a service restart: starts what should run, stops orphans', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sbx-reconcile-'));
    const db = openDb(join(dir, 'streambox.db'));
    const rooms = new RoomsService({ store: new RoomStore(db), runtime, clock: () => new Date(), log: silentLogger, relayUrl: () => 'http://127.0.0.1:9/ingest' });
    const kept = await rooms.create({ name: 'kept', config: { width: 1280, height: 720, fps: 30, videoBitrateKbps: 2000, startUrl: 'https://example.org/' }, password: null });
    // While the service is down: the room's units stop, and units of an unknown room start.
    await container.exec(['systemctl', 'stop', `room@${kept.id}.target`, `xvfb@${kept.id}.service`, `pulse@${kept.id}.service`, `browser@${kept.id}.service`, `x11vnc@${kept.id}.service`, `ffmpeg@${kept.id}.service`]);
    const orphan = spec();
    await runtime.start(orphan);
    expect(await runtime.listRunning()).not.toContain(kept.id);

    const restarted = new SystemdRuntime({ busAddress: container.busAddress, envDir, rtmpUrlBase: 'rtmp://127.0.0.1:1935/live', log: silentLogger });
    const again = new RoomsService({ store: new RoomStore(db), runtime: restarted, clock: () => new Date(), log: silentLogger, relayUrl: () => 'http://127.0.0.1:9/ingest' });
    await again.reconcile();
    const running = await restarted.listRunning();
    expect(running).toContain(kept.id);
    expect(running).not.toContain(orphan.id);
    expect(existsSync(join(envDir, `${orphan.id}.env`))).toBe(false);
    await again.delete(kept.id);
    await restarted.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('drives the admin API end to end: create, show, delete really start and stop units', async () => {
    const t = await makeTestApp(runtime);
    const cookie = await t.login();
    const created = await t.app.request('/api/rooms', json({ name: 'real', startUrl: 'https://example.org/' }, cookie));
    expect(created.status).toBe(201);
    const room = await created.json();
    expect(room.status.state).toBe('live');
    const active = await container.exec(['systemctl', 'is-active', `room@${room.id}.target`, `ffmpeg@${room.id}.service`]);
    expect(active.stdout.trim().split('\n')).toEqual(['active', 'active']);
    expect(existsSync(join(t.ctx.config.roomsEnvDir, `${room.id}.env`))).toBe(false); // test app has its own env dir ...
    expect(existsSync(join(envDir, `${room.id}.env`))).toBe(true); // ... the runtime writes where the units read

    const failed = await (await t.app.request('/api/rooms', json({ name: 'broken', startUrl: 'https://example.org/fail' }, cookie))).json();
    const shown = await eventually('failed state via the API', async () => (await t.app.request(`/api/rooms/${failed.id}`, { headers: { cookie } })).json(), (r) => r.status.state === 'failed');
    expect(shown.status.failure).toMatchObject({ role: 'browser', unit: `browser@${failed.id}.service` });

    for (const id of [room.id, failed.id]) {
      expect((await t.app.request(`/api/rooms/${id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
      const gone = await container.exec(['systemctl', 'is-active', `room@${id}.target`, `xvfb@${id}.service`, `browser@${id}.service`]);
      expect(gone.stdout.trim().split('\n')).not.toContain('active');
      expect(existsSync(join(envDir, `${id}.env`))).toBe(false);
      expect((await t.app.request(`/api/rooms/${id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(404);
    }
    t.close();
  }, 60_000);
});
