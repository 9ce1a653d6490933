/**
 * The systemd runtime against a real systemd (Debian 13 in systemd-nspawn) over its real D-Bus
 * system bus, with stand-in room units from fixtures/units (same names and dependencies as units/,
 * tiny processes). First the contract both runtimes pass (test/support/runtimeContract.ts; the
 * Kubernetes runtime's run is test/k8s/runtime.test.ts), then what only systemd has. Also drives
 * the admin API end to end on top of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootContainer, buildRoot, requireRoot, type Container } from '../harness/container.js';
import { SystemdRuntime } from '../../server/runtime/systemd/runtime.js';
import { RuntimeJobError, MEMBER_ROLES } from '../../server/runtime/types.js';
import { groupUnit, memberUnit } from '../../server/runtime/systemd/units.js';
import { silentLogger } from '../../server/log.js';
import { loadConfig } from '../../server/config.js';
import { makeTestApp, json } from '../support/testApp.js';
import { eventually } from '../support/eventually.js';
import { runtimeContract, spec, type RuntimeHarness } from '../support/runtimeContract.js';

const FIXTURE_UNITS = join(import.meta.dirname, 'fixtures', 'units');
/** The admin service's default, as main.ts hands it to the runtime. */
const VNC_SOCKET_DIR = loadConfig({}).vncSocketDir;

/** The socket units/x11vnc@.service has x11vnc listen on (its -unixsock), for room `id`. */
function unitSocket(id: string): string {
  const unit = readFileSync(join(import.meta.dirname, '..', '..', 'units', 'x11vnc@.service'), 'utf8');
  return /-unixsock (\S+)/.exec(unit)![1]!.replace('%i', id);
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
    runtime = new SystemdRuntime({ busAddress: container.busAddress, envDir, rtmpUrlBase: 'rtmp://127.0.0.1:1935/live', vncSocketDir: VNC_SOCKET_DIR, log: silentLogger, jobTimeoutMs: 20_000 });
  }, 600_000);

  /** The contract's harness: the stand-in units (fixtures/units) show what they were given. */
  function harness(): RuntimeHarness {
    return {
      runtime,
      makeRuntime: () => new SystemdRuntime({ busAddress: container.busAddress, envDir, rtmpUrlBase: 'rtmp://127.0.0.1:1935/live', vncSocketDir: VNC_SOCKET_DIR, log: silentLogger }),
      groupUnit,
      memberUnit,
      startUrlSeen: async (id) => (await container.exec(['cat', `/run/sbx-test/${id}/start-url`])).stdout,
      // The stand-in x11vnc listens nowhere: the real unit's socket is what the runtime must name.
      inputListensOn: async (id) => ({ path: unitSocket(id) }),
      // The stand-in browser exits 3 when its start URL says "fail" (the contract's spec does).
      failBrowser: async (s) => s,
      async stopBehindBack(id) {
        await container.exec(['systemctl', 'stop', groupUnit(id), ...MEMBER_ROLES.map((role) => memberUnit(role, id))]);
      },
      async leftovers(id) {
        const files = [`${id}.env`, `${id}.vncpass`, `${id}.policy.json`].filter((f) => existsSync(join(envDir, f)));
        const loaded = await container.exec(['systemctl', 'list-units', '--all', '--plain', '--no-legend', `*@${id}.*`]);
        return [...files, ...loaded.stdout.split('\n').map((l) => l.trim()).filter(Boolean)];
      },
      async interrupt() {
        const restart = await container.exec(['systemctl', 'restart', 'dbus.service']);
        expect(restart.code, restart.stderr).toBe(0);
      },
    };
  }

  describe('the runtime contract', () => {
    runtimeContract(harness);
  });

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

  it('writes the room files where the units read them, and removes them', async () => {
    const s = spec();
    await runtime.start(s);
    expect(readFileSync(join(envDir, `${s.id}.vncpass`), 'utf8').trim()).toBe('secret12');
    expect(existsSync(join(envDir, `${s.id}.env`))).toBe(true);
    await runtime.stop(s.id);
    await runtime.remove(s.id);
    expect(existsSync(join(envDir, `${s.id}.env`))).toBe(false);
    expect(existsSync(join(envDir, `${s.id}.vncpass`))).toBe(false);
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
    const hostView = new SystemdRuntime({ busAddress: container.busAddress, envDir, rtmpUrlBase: 'rtmp://127.0.0.1:1935/live', vncSocketDir: VNC_SOCKET_DIR, log: silentLogger, cgroupRoot: await hostCgroupRoot(`ffmpeg@${s.id}.service`) });
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

  it('turns a start that outlives its timeout into a typed error', async () => {
    const quick = new SystemdRuntime({ busAddress: container.busAddress, envDir, rtmpUrlBase: 'rtmp://x/live', vncSocketDir: VNC_SOCKET_DIR, log: silentLogger, jobTimeoutMs: 1000 });
    const s = spec('https://example.org/slow');
    const err = await quick.start(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeJobError);
    expect((err as RuntimeJobError).result).toBe('timeout');
    await quick.stop(s.id);
    await quick.remove(s.id);
    await quick.close();
  });

  it('re-reads everything after a daemon reload', async () => {
    const seen: Array<string | null> = [];
    const unwatch = runtime.watch((id) => seen.push(id));
    await container.exec(['systemctl', 'daemon-reload']);
    await eventually('reload notice', async () => seen.includes(null), (v) => v);
    unwatch();
  });

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
