/**
 * Review #18: SystemdBus believes JobRemoved / Reloading / PropertiesChanged only from systemd's
 * unique bus name. A real dbus-daemon (a private one, no root needed), a stand-in "systemd"
 * that owns org.freedesktop.systemd1 on it, and a forger: another client that sends unicast
 * signals straight to our connection, which match rules do not filter.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbus from 'dbus-next';
import { I_MANAGER, I_PROPS, MANAGER_PATH, SYSTEMD_NAME, SystemdBus } from '../../server/runtime/systemd/bus.js';

const { Message } = dbus;

let dir: string;
let daemon: ChildProcess;
let address: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbx-bus-'));
  address = `unix:path=${join(dir, 'bus')}`;
  daemon = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', `--address=${address}`, '--print-address=1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    daemon.once('error', reject);
    daemon.stdout!.once('data', () => resolve());
  });
});

afterAll(() => {
  daemon?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Owns org.freedesktop.systemd1 and answers the calls SystemdBus makes; job N finishes "done". */
async function fakeSystemd() {
  const bus = dbus.sessionBus({ busAddress: address });
  let client = '';
  let job = 0;
  const send = (m: dbus.Message) => bus.send(m);
  bus.addMethodHandler((msg: dbus.Message) => {
    if (msg.interface !== I_MANAGER) return false;
    if (msg.member === 'Subscribe') {
      client = msg.sender!;
      send(Message.newMethodReturn(msg));
      return true;
    }
    if (msg.member === 'StartUnit') {
      const path = `/org/freedesktop/systemd1/job/${++job}`;
      send(Message.newMethodReturn(msg, 'o', [path]));
      setTimeout(() => send(Message.newSignal(MANAGER_PATH, I_MANAGER, 'JobRemoved', 'uoss', [job, path, msg.body[0], 'done'])), 50);
      return true;
    }
    return false;
  });
  await bus.requestName(SYSTEMD_NAME, 0);
  return {
    bus,
    client: () => client,
    signal: (member: string, signature: string, body: unknown[], iface = I_MANAGER, path = MANAGER_PATH) => send(Message.newSignal(path, iface, member, signature, body)),
  };
}

/** Any other client on the bus: sends signals to one destination, as `busctl emit --destination` does. */
function forger() {
  const bus = dbus.sessionBus({ busAddress: address });
  return {
    bus,
    emit(destination: string, member: string, signature: string, body: unknown[], iface = I_MANAGER, path = MANAGER_PATH) {
      const m = Message.newSignal(path, iface, member, signature, body);
      m.destination = destination;
      bus.send(m);
    },
  };
}

const open: Array<{ disconnect(): void } | SystemdBus> = [];
afterEach(() => {
  for (const c of open.splice(0)) {
    if (c instanceof SystemdBus) c.close();
    else c.disconnect();
  }
});
const settle = () => new Promise((r) => setTimeout(r, 200));

describe('SystemdBus signals', () => {
  it('does not let a forged JobRemoved settle a job', async () => {
    const systemd = await fakeSystemd();
    const conn = await SystemdBus.connect(address, 5000);
    const evil = forger();
    open.push(conn, systemd.bus, evil.bus);
    const removed: string[] = [];
    conn.on('jobRemoved', (j: { jobPath: string; result: string }) => removed.push(`${j.jobPath} ${j.result}`));

    // "failed" for the next job paths, sent to us before the job exists (they would be kept as
    // early results and claimed by the start).
    for (let i = 1; i <= 5; i++) evil.emit(systemd.client(), 'JobRemoved', 'uoss', [i, `/org/freedesktop/systemd1/job/${i}`, 'room@x.target', 'failed']);
    await settle();
    expect(removed).toEqual([]);
    expect(conn.rejectedSignals).toBeGreaterThanOrEqual(5);

    expect(await conn.runJob('StartUnit', 'room@x.target', 5000)).toBe('done');
    expect(removed).toEqual(['/org/freedesktop/systemd1/job/1 done']);
  });

  it('ignores forged Reloading and PropertiesChanged, and hears the real ones', async () => {
    const systemd = await fakeSystemd();
    const conn = await SystemdBus.connect(address, 5000);
    const evil = forger();
    open.push(conn, systemd.bus, evil.bus);
    let reloads = 0;
    const changed: string[] = [];
    conn.on('reloaded', () => reloads++);
    conn.on('propertiesChanged', (p: { path: string }) => changed.push(p.path));
    const unitPath = '/org/freedesktop/systemd1/unit/room_40x_2etarget';

    for (let i = 0; i < 20; i++) {
      evil.emit(systemd.client(), 'Reloading', 'b', [false]);
      evil.emit(systemd.client(), 'PropertiesChanged', 'sa{sv}as', ['org.freedesktop.systemd1.Unit', {}, []], I_PROPS, unitPath);
    }
    await settle();
    expect([reloads, changed.length]).toEqual([0, 0]);

    systemd.signal('Reloading', 'b', [false]);
    systemd.signal('PropertiesChanged', 'sa{sv}as', ['org.freedesktop.systemd1.Unit', {}, []], I_PROPS, unitPath);
    await settle();
    expect([reloads, changed]).toEqual([1, [unitPath]]);
  });

  it('closes the connection when systemd\'s name changes owner, so the runtime starts over', async () => {
    const systemd = await fakeSystemd();
    const conn = await SystemdBus.connect(address, 5000);
    open.push(conn, systemd.bus);
    const closed = new Promise<Error | undefined>((r) => conn.once('closed', r));
    await systemd.bus.releaseName(SYSTEMD_NAME);
    expect(String((await closed)?.message)).toMatch(/systemd's bus name moved/);
    expect(conn.isClosed).toBe(true);
  });
});
