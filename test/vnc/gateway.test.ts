/**
 * The VNC gateway against a real x11vnc (-nofb, unix socket, password) on a real Xvfb, through the
 * real HTTP server and WebSocket upgrade. The X server's own state (pointer, buttons, keys) is read
 * back with test/support/xstate.py.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { joinRoom, json, makeTestApp, type Member, type TestApp } from '../support/testApp.js';
import { RoomStore } from '../../server/store/roomStore.js';
import { keyEvent, pointerEvent } from '../../server/vnc/rfb.js';

const execFileP = promisify(execFile);
const DISPLAY = ':87';
const XSTATE = join(import.meta.dirname, '..', 'support', 'xstate.py');

async function xstate(): Promise<{ x: number; y: number; buttons: number; keycodes: number[] }> {
  const { stdout } = await execFileP('python3', [XSTATE], { env: { ...process.env, DISPLAY } });
  return JSON.parse(stdout);
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A minimal RFB client over the gateway's WebSocket, like noVNC's first steps. */
class RfbOverWs {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | null = null;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async open(url: string): Promise<RfbOverWs> {
    const ws = new WebSocket(url, { headers: { origin: 'http://localhost' } });
    const client = new RfbOverWs(ws); // listen before 'open': the server speaks first
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return client;
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.closed) throw new Error(`closed ${this.closed.code} ${this.closed.reason}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Version, security None, ClientInit; returns the framebuffer size from ServerInit. */
  async handshake(): Promise<{ width: number; height: number }> {
    expect((await this.read(12)).toString()).toBe('RFB 003.008\n');
    this.ws.send(Buffer.from('RFB 003.008\n'));
    expect([...(await this.read(2))]).toEqual([1, 1]); // one security type: None
    this.ws.send(Buffer.from([1]));
    expect((await this.read(4)).readUInt32BE(0)).toBe(0);
    this.ws.send(Buffer.from([1])); // ClientInit, shared
    const init = await this.read(24);
    await this.read(init.readUInt32BE(20)); // desktop name
    return { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
  }

  async waitClosed(): Promise<{ code: number; reason: string }> {
    await waitFor('websocket close', () => this.closed !== null);
    return this.closed!;
  }
}

describe('VNC gateway with a real x11vnc', () => {
  let dir: string;
  let t: TestApp;
  let server: ServerType;
  let base: string;
  let roomId: string;
  let cookie: string;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sbx-vnc-'));
    const runtime = new FakeRuntime();
    t = await makeTestApp(runtime, { dir });
    t.ctx.config.vncSocketDir = join(dir, 'run');
    cookie = await t.login();
    roomId = (await (await t.app.request('/api/rooms', json({ name: 'vnc', startUrl: 'https://example.org', width: 1280, height: 720 }, cookie))).json()).id;
    const password = new RoomStore(t.db).get(roomId)!.vncPassword;
    writeFileSync(join(dir, 'vncpass'), `${password}\n`, { mode: 0o600 });
    mkdirSync(join(dir, 'run', roomId), { recursive: true });

    const xvfb = spawn('Xvfb', [DISPLAY, '-screen', '0', '1280x720x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    procs.push(xvfb);
    await waitFor('Xvfb socket', () => existsSync(`/tmp/.X11-unix/X${DISPLAY.slice(1)}`));
    const sock = join(dir, 'run', roomId, 'vnc.sock');
    const x11vnc = spawn('x11vnc', ['-display', DISPLAY, '-nofb', '-rfbport', '0', '-unixsock', sock, '-passwdfile', join(dir, 'vncpass'), '-forever', '-shared', '-quiet'], { stdio: 'ignore' });
    procs.push(x11vnc);
    await waitFor('x11vnc socket', () => existsSync(sock));

    server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0, websocket: { server: new WebSocketServer({ noServer: true }) } });
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    driver?.ws.close();
    server?.close();
    for (const p of procs.reverse()) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)));
    t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let driver: Member;
  async function token(): Promise<string> {
    driver ??= await joinRoom(base, roomId, 'Driver'); // first in: holds control
    const res = await t.app.request(`/api/rooms/${roomId}/vnc-token`, json({ participantId: driver.you.id, participantKey: driver.you.key }));
    expect(res.status).toBe(200);
    return (await res.json()).token;
  }

  it('relays pointer and keys to the session and hides the VNC password from the browser', async () => {
    const rfb = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token()}`);
    expect(await rfb.handshake()).toEqual({ width: 1280, height: 720 });
    rfb.ws.send(pointerEvent(777, 333, 0));
    await waitFor('pointer at 777,333', async () => {
      const s = await xstate();
      return s.x === 777 && s.y === 333;
    });
    rfb.ws.send(Buffer.concat([pointerEvent(100, 200, 1), keyEvent(0xffe1, true)])); // button 1 + Shift_L held
    await waitFor('button and key held', async () => {
      const s = await xstate();
      return s.buttons === 1 && s.keycodes.length === 1;
    });
    // Control moving to someone else ends the session, which releases what was held.
    const other = await joinRoom(base, roomId, 'Other');
    driver.send({ type: 'pass', to: other.you.id });
    expect((await rfb.waitClosed()).code).toBe(4001);
    await waitFor('released', async () => {
      const s = await xstate();
      return s.buttons === 0 && s.keycodes.length === 0;
    });
    expect(t.ctx.vnc.openCount(roomId)).toBe(0);
    other.send({ type: 'pass', to: driver.you.id });
    await driver.next((m) => m.type === 'state' && m.holder === driver.you.id);
    other.ws.close();
  });

  it('refuses the upgrade without a token, with a used token, or with another room\'s token', async () => {
    await expect(RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc`)).rejects.toThrow(/401/);
    const used = await token();
    const first = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${used}`);
    await first.handshake();
    first.ws.close();
    await expect(RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${used}`)).rejects.toThrow(/401/);
    const other = (await (await t.app.request('/api/rooms', json({ name: 'other', startUrl: 'https://example.org' }, cookie))).json()).id;
    const there = await joinRoom(base, other, 'Elsewhere');
    const otherToken = async () =>
      (await (await t.app.request(`/api/rooms/${other}/vnc-token`, json({ participantId: there.you.id, participantKey: there.you.key }))).json()).token;
    await expect(RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await otherToken()}`)).rejects.toThrow(/401/);
    // ... and that room has no x11vnc: a valid token there gets 502, not a hang.
    await expect(RfbOverWs.open(`ws://${base}/api/rooms/${other}/vnc?token=${await otherToken()}`)).rejects.toThrow(/502/);
    there.ws.close();
  });

  it('releases held input when the browser just goes away', async () => {
    const rfb = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token()}`);
    await rfb.handshake();
    rfb.ws.send(Buffer.concat([pointerEvent(50, 60, 4), keyEvent(0x61, true)]));
    await waitFor('held', async () => (await xstate()).buttons === 4);
    rfb.ws.terminate();
    await waitFor('released after the socket dropped', async () => {
      const s = await xstate();
      return s.buttons === 0 && s.keycodes.length === 0;
    });
  });

  it('closes a session that sends something that is not RFB', async () => {
    const rfb = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token()}`);
    await rfb.handshake();
    rfb.ws.send(Buffer.from([99, 1, 2, 3]));
    expect((await rfb.waitClosed()).code).toBe(1002);
  });
});
