/**
 * The VNC gateway dialing x11vnc over TCP, as it does on Kubernetes, where the runtime answers the
 * room Pod's IP and port 5900 (server/runtime/kubernetes/inputAddress.ts; test/k8s/runtime.test.ts
 * shows that answer). Here the runtime answers 127.0.0.1 and the port a real x11vnc (-nofb,
 * -rfbport, -localhost, password) listens on, on a real Xvfb; no unix socket exists for the room.
 * A session's pointer and keys land on the X server (read back with test/support/xstate.py), over
 * a TCP connection x11vnc has accepted (ss). A runtime with no address for the room (its Pod still
 * Pending) and an address nobody listens on both answer 502, as an absent socket does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { joinRoom, json, makeTestApp, type Member, type TestApp } from '../support/testApp.js';
import { RoomStore } from '../../server/store/roomStore.js';
import { RuntimeJobError, type InputEndpoint } from '../../server/runtime/types.js';
import { keyEvent, pointerEvent } from '../../server/vnc/rfb.js';
import { RfbOverWs, waitFor } from './rfbClient.js';
import { freePort } from '../support/freePort.js';

const execFileP = promisify(execFile);
const DISPLAY = ':86';
const XSTATE = join(import.meta.dirname, '..', 'support', 'xstate.py');

async function xstate(): Promise<{ x: number; y: number; buttons: number; keycodes: number[] }> {
  const { stdout } = await execFileP('python3', [XSTATE], { env: { ...process.env, DISPLAY } });
  return JSON.parse(stdout);
}

/** TCP sockets on 127.0.0.1:port in `state` (the kernel's table, as ss reads it). */
const tcp = (state: 'listening' | 'established', port: number) => execFileSync('ss', ['-tnH', 'state', state, 'src', `127.0.0.1:${port}`], { encoding: 'utf8' }).split('\n').filter(Boolean).length;

/** A runtime like the Kubernetes one: rooms it has no address for (their Pod Pending) throw. */
class TcpRuntime extends FakeRuntime {
  readonly pending = new Set<string>();

  override async inputEndpoint(roomId: string): Promise<InputEndpoint> {
    if (this.pending.has(roomId)) throw new RuntimeJobError(`room-${roomId}/input`, 'no-address', `room-${roomId}/input: nowhere to reach x11vnc: the room's Pod is Pending`, 'input');
    return super.inputEndpoint(roomId);
  }
}

describe('VNC gateway to x11vnc on TCP', () => {
  let dir: string;
  let t: TestApp;
  let server: ServerType;
  let base: string;
  let cookie: string;
  let roomId: string;
  let port: number;
  const runtime = new TcpRuntime();
  const procs: ChildProcess[] = [];
  /** Each room's first participant, who holds control. */
  const drivers = new Map<string, Member>();

  const createRoom = async (name: string) => (await (await t.app.request('/api/rooms', json({ name, startUrl: 'https://example.org', width: 1280, height: 720, clipboard: 'off' }, cookie))).json()).id as string;

  /** A VNC token for the room's driver. */
  async function token(room: string): Promise<string> {
    if (!drivers.has(room)) drivers.set(room, await joinRoom(base, room, 'Driver'));
    const member = drivers.get(room)!;
    t.clock.now += 6000; // the token bucket refills
    const res = await t.app.request(`/api/rooms/${room}/vnc-token`, json({ participantId: member.you.id, participantKey: member.you.key }));
    expect(res.status).toBe(200);
    return (await res.json()).token;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sbx-vnc-tcp-'));
    runtime.vncSocketDir = join(dir, 'run'); // stays empty: no room has a socket
    t = await makeTestApp(runtime, { dir });
    cookie = await t.login();
    roomId = await createRoom('tcp');
    writeFileSync(join(dir, 'vncpass'), `${new RoomStore(t.db).get(roomId)!.vncPassword}\n`, { mode: 0o600 });

    procs.push(spawn('Xvfb', [DISPLAY, '-screen', '0', '1280x720x24', '-nolisten', 'tcp'], { stdio: 'ignore' }));
    await waitFor('Xvfb socket', () => existsSync(`/tmp/.X11-unix/X${DISPLAY.slice(1)}`));
    port = await freePort();
    procs.push(spawn('x11vnc', ['-display', DISPLAY, '-nofb', '-rfbport', String(port), '-localhost', '-noipv6', '-passwdfile', join(dir, 'vncpass'), '-forever', '-shared', '-quiet'], { stdio: 'ignore' }));
    // Listening, read from the kernel's table: a probe that connected would be x11vnc's first client.
    await waitFor('x11vnc listening on TCP', () => tcp('listening', port) === 1);
    runtime.inputEndpoints.set(roomId, { host: '127.0.0.1', port });

    server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0, websocket: { server: new WebSocketServer({ noServer: true }) } });
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    for (const m of drivers.values()) m.ws.close();
    server?.close();
    for (const p of procs.reverse()) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)));
    t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('relays a session\'s pointer and keys to the X server over the TCP connection', async () => {
    expect(tcp('established', port)).toBe(0);
    const rfb = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token(roomId)}`);
    expect(await rfb.handshake()).toEqual({ width: 1280, height: 720 });
    expect(tcp('established', port), 'x11vnc\'s end of the gateway\'s connection').toBe(1);
    rfb.ws.send(pointerEvent(612, 345, 0));
    await waitFor('pointer at 612,345', async () => {
      const s = await xstate();
      return s.x === 612 && s.y === 345;
    });
    rfb.ws.send(Buffer.concat([pointerEvent(612, 345, 1), keyEvent(0xffe1, true)])); // button 1 + Shift_L held
    await waitFor('button and key held', async () => {
      const s = await xstate();
      return s.buttons === 1 && s.keycodes.length === 1;
    });
    rfb.ws.close();
    await rfb.waitClosed();
    await waitFor('released when the session ended', async () => {
      const s = await xstate();
      return s.buttons === 0 && s.keycodes.length === 0;
    });
    await waitFor('the TCP connection closed', () => tcp('established', port) === 0);
    await waitFor('the session gone', () => t.ctx.vnc.openCount(roomId) === 0);
  });

  it('answers 502 when the runtime has no address for the room, or nobody listens there', async () => {
    // The runtime is asked at every connection: the room's Pod Pending, then Running again.
    runtime.pending.add(roomId);
    await expect(RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token(roomId)}`)).rejects.toThrow(/502/);
    runtime.pending.delete(roomId);
    const rfb = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token(roomId)}`);
    expect(await rfb.handshake()).toEqual({ width: 1280, height: 720 });
    rfb.ws.close();
    await rfb.waitClosed();
    const closed = await createRoom('closed port');
    runtime.inputEndpoints.set(closed, { host: '127.0.0.1', port: await freePort() });
    await expect(RfbOverWs.open(`ws://${base}/api/rooms/${closed}/vnc?token=${await token(closed)}`)).rejects.toThrow(/502/);
  });
});
