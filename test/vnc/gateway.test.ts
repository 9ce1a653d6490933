/**
 * The VNC gateway against a real x11vnc (-nofb, unix socket, password) on a real Xvfb, through the
 * real HTTP server and WebSocket upgrade. The X server's own state (pointer, buttons, keys) is read
 * back with test/support/xstate.py, selections and windows with test/vnc/xsession.py. Each thing
 * the filter drops is first shown to have an effect when sent to x11vnc directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { joinRoom, json, makeTestApp, type Member, type TestApp } from '../support/testApp.js';
import { RoomStore } from '../../server/store/roomStore.js';
import { keyEvent, openAuthenticated, pointerEvent } from '../../server/vnc/rfb.js';
import type { Socket } from 'node:net';
import { EXTENDED_CLIPBOARD, RfbOverWs, cutText, fbur, setEncodings, setPixelFormat, waitFor } from './rfbClient.js';

const execFileP = promisify(execFile);
const DISPLAY = ':87';
const XSTATE = join(import.meta.dirname, '..', 'support', 'xstate.py');

async function xstate(): Promise<{ x: number; y: number; buttons: number; keycodes: number[] }> {
  const { stdout } = await execFileP('python3', [XSTATE], { env: { ...process.env, DISPLAY } });
  return JSON.parse(stdout);
}

async function xsession(): Promise<{ owners: { PRIMARY: number; CLIPBOARD: number }; cutBuffer: string; windows: string[]; keycodes: number[] }> {
  const { stdout } = await execFileP('python3', [join(import.meta.dirname, 'xsession.py')], { env: { ...process.env, DISPLAY } });
  return JSON.parse(stdout);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));



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
    runtime.vncSocketDir = join(dir, 'run');
    t = await makeTestApp(runtime, { dir });
    cookie = await t.login();
    roomId = (await (await t.app.request('/api/rooms', json({ name: 'vnc', startUrl: 'https://example.org', width: 1280, height: 720, clipboard: 'off' }, cookie))).json()).id;
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
    t.clock.now += 6000; // tokens refill at 10 a minute
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

  /** x11vnc directly, as the gateway's upstream is: authenticated, past ServerInit. */
  async function direct(): Promise<{ socket: Socket; received: () => number; closed: () => boolean }> {
    const password = new RoomStore(t.db).get(roomId)!.vncPassword;
    const { socket } = await openAuthenticated({ path: join(dir, 'run', roomId, 'vnc.sock') }, password, 5000, true);
    let received = 0;
    let closed = false;
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.on('close', () => (closed = true));
    return { socket, received: () => received, closed: () => closed };
  }

  it('drops SetPixelFormat, SetEncodings, FramebufferUpdateRequest and ClientCutText: x11vnc never sees them', async () => {
    const rfb = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token()}`);
    await rfb.handshake();
    const before = await xsession();
    expect(before).toMatchObject({ owners: { PRIMARY: 0, CLIPBOARD: 0 }, cutBuffer: '' });
    // A pixel format x11vnc refuses (bpp 3), every encoding noVNC could ask for, a flood of
    // full-screen update requests, and a clipboard text.
    rfb.ws.send(Buffer.concat([setPixelFormat(3), setEncodings(0, 1, 7, -223, -239, EXTENDED_CLIPBOARD)]));
    for (let i = 0; i < 50; i++) rfb.ws.send(fbur(1280, 720));
    rfb.ws.send(cutText(Buffer.from('pwned by the driver')));
    rfb.ws.send(pointerEvent(321, 123, 0));
    await waitFor('the pointer after them', async () => {
      const s = await xstate();
      return s.x === 321 && s.y === 123;
    });
    await sleep(500);
    expect(rfb.closed, 'the session is still open (x11vnc kept its connection)').toBeNull();
    expect(rfb.unread, 'bytes the browser got after ServerInit').toBe(0);
    expect(await xsession(), 'X selections and cut buffer').toMatchObject({ owners: { PRIMARY: 0, CLIPBOARD: 0 }, cutBuffer: '' });
    rfb.ws.close();
    await rfb.waitClosed();

    // The same messages straight to x11vnc do have effects: the readbacks above can fail.
    const pixels = await direct();
    pixels.socket.write(Buffer.concat([setEncodings(0), fbur(1280, 720)]));
    await waitFor('x11vnc to send pixels when asked', () => pixels.received() >= 1280 * 720);
    console.log(`x11vnc answered one full-screen request with ${pixels.received()} bytes; through the gateway 50 drew 0`);
    pixels.socket.destroy();
    const badFormat = await direct();
    badFormat.socket.write(setPixelFormat(3));
    await waitFor('x11vnc to drop a client with bpp 3', () => badFormat.closed());
    const clip = await direct();
    clip.socket.write(cutText(Buffer.from('set directly')));
    await waitFor('x11vnc to set the cut buffer', async () => (await xsession()).cutBuffer === 'set directly');
    clip.socket.destroy();
  });

  it('closes with 1009 on an extended-clipboard length, and nothing after it reaches the session', async () => {
    const rfb = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token()}`);
    await rfb.handshake();
    rfb.ws.send(Buffer.concat([setEncodings(EXTENDED_CLIPBOARD), cutText(Buffer.from([0, 0, 0, 1]), 0xfffffffc), keyEvent(0x61, true)]));
    expect(await rfb.waitClosed()).toEqual({ code: 1009, reason: 'ClientCutText of 4294967292 bytes; at most 262144' });
    await sleep(300);
    expect((await xstate()).keycodes).toEqual([]);
    const again = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token()}`);
    await again.handshake();
    again.ws.send(setEncodings(...Array.from({ length: 65535 }, () => 0)));
    expect((await again.waitClosed()).code).toBe(1009);
  });

  it('drops Ctrl+N, Ctrl+P and F12 but passes Ctrl itself and ordinary keys', async () => {
    const rfb = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token()}`);
    await rfb.handshake();
    // Ctrl down, then n, p and F12 down and held: only Ctrl reaches the X server.
    rfb.ws.send(Buffer.concat([keyEvent(0xffe3, true), keyEvent(0x6e, true), keyEvent(0x70, true), keyEvent(0xffc9, true)]));
    await waitFor('Ctrl held', async () => (await xstate()).keycodes.length === 1);
    await sleep(300);
    expect((await xstate()).keycodes, 'only Ctrl is down: n, p and F12 never arrived').toHaveLength(1);
    rfb.ws.send(keyEvent(0x61, true)); // Ctrl+A (select all) is an ordinary chord
    await waitFor('Ctrl and a held', async () => (await xstate()).keycodes.length === 2);
    rfb.ws.close();
    await waitFor('released', async () => (await xstate()).keycodes.length === 0);
  });

  it('allows one VNC session per holder, and tokens at a bounded rate', async () => {
    const first = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token()}`);
    await first.handshake();
    t.clock.now += 6000;
    const res = await t.app.request(`/api/rooms/${roomId}/vnc-token`, json({ participantId: driver.you.id, participantKey: driver.you.key }));
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('vnc_session_open');
    expect(t.ctx.vnc.openCount(roomId)).toBe(1);
    first.ws.close();
    await first.waitClosed();
    await waitFor('session gone', () => t.ctx.vnc.openCount(roomId) === 0);
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) codes.push((await t.app.request(`/api/rooms/${roomId}/vnc-token`, json({ participantId: driver.you.id, participantKey: driver.you.key }))).status);
    expect(codes.filter((c) => c === 200).length, `statuses ${codes.join(' ')}`).toBeLessThanOrEqual(5);
    expect(codes.at(-1)).toBe(429);
  });

  it('counts input the gateway forwarded for the idle rule, not the page\'s activity messages', async () => {
    const other = await joinRoom(base, roomId, 'Waiting');
    other.send({ type: 'request' });
    await driver.next((m) => m.type === 'state' && (m.requests as string[]).includes(other.you.id));
    t.clock.now += 60_000; // the token bucket refills
    const rfb = await RfbOverWs.open(`ws://${base}/api/rooms/${roomId}/vnc?token=${await token()}`);
    await rfb.handshake();
    rfb.ws.send(pointerEvent(410, 310, 0));
    await waitFor('pointer moved', async () => (await xstate()).x === 410);
    // Moving the pointer through VNC keeps control past the idle time.
    t.clock.now += 200_000;
    rfb.ws.send(pointerEvent(400, 300, 0));
    await waitFor('pointer moved', async () => (await xstate()).x === 400);
    t.clock.now += 150_000;
    t.ctx.presence.tick();
    expect(t.ctx.arbiter.holder(roomId)).toBe(driver.you.id);
    // A pointer event that does not move is not activity, nor are activity messages.
    t.clock.now += 200_000;
    rfb.ws.send(pointerEvent(400, 300, 0));
    for (let i = 0; i < 5; i++) driver.send({ type: 'activity' });
    await sleep(300);
    t.clock.now += 101_000;
    t.ctx.presence.tick();
    expect(t.ctx.arbiter.holder(roomId)).toBe(other.you.id);
    expect((await rfb.waitClosed()).code).toBe(4001);
    other.send({ type: 'pass', to: driver.you.id });
    await driver.next((m) => m.type === 'state' && m.holder === driver.you.id);
    other.ws.close();
  });
});
