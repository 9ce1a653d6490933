/**
 * The edge, in-process (issue 11 item 1): Origin checks, security headers, forwarded headers
 * believed only on the edge socket, the Upgrade hardening, throttles that count before checking,
 * and room access that can be revoked (kick, password change). Real HTTP servers on a loopback
 * port and a unix socket where the socket matters; app.request() elsewhere.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { cookieFrom, joinRoom, json, makeTestApp, type TestApp } from '../support/testApp.js';
import { startEdgeServers } from '../../server/http/edgeServer.js';
import { isPeerSocketError } from '../../server/http/processGuard.js';
import { silentLogger } from '../../server/log.js';

const EVIL = 'http://evil.example';

describe('edge', () => {
  let t: TestApp;
  let admin: string;
  let servers: Server[] = [];
  let host = '';
  let sock = '';

  beforeEach(async () => {
    t = await makeTestApp(new FakeRuntime());
    admin = await t.login();
    sock = join(t.dir, 'edge.sock');
    servers = await startEdgeServers({ fetch: t.app.fetch, log: silentLogger, tcp: { host: '127.0.0.1', port: 0 }, edgeSocket: sock });
    host = `127.0.0.1:${(servers[0]!.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const s of servers) s.closeAllConnections?.();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    t.close();
  });

  const newRoom = async (extra: object = {}) => (await (await t.app.request('/api/rooms', json({ name: 'R', startUrl: 'https://example.org', ...extra }, admin))).json()) as { id: string; desiredState: string };

  /** A raw HTTP/1.1 exchange: what came back before the server closed (or timeout). */
  const raw = (text: string, opts: { path?: string; timeoutMs?: number } = {}) =>
    new Promise<{ text: string; closed: boolean }>((resolve) => {
      const s = opts.path ? connect(opts.path) : connect(Number(host.split(':')[1]), '127.0.0.1');
      let got = '';
      const done = (closed: boolean) => {
        clearTimeout(timer);
        s.destroy();
        resolve({ text: got, closed });
      };
      const timer = setTimeout(() => done(false), opts.timeoutMs ?? 3000);
      s.on('data', (d) => (got += d));
      s.on('end', () => done(true));
      s.on('error', () => done(true));
      s.write(text);
    });

  describe('Upgrade requests', () => {
    it('answers a non-WebSocket Upgrade with 400 and closes the connection, on TCP and on the edge socket', async () => {
      for (const path of [undefined, sock]) {
        const res = await raw('GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n', path ? { path } : {});
        expect(res.text).toMatch(/^HTTP\/1\.1 400/);
        expect(res.text).toContain('upgrade_refused');
        expect(res.closed).toBe(true);
      }
    });

    it('answers a refused WebSocket upgrade (404 room) and closes it', async () => {
      const res = await raw('GET /api/rooms/aaaaaaaaaaaaaaaaaaaaaaaa/events?name=x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      expect(res.text).toMatch(/^HTTP\/1\.1 404/);
      expect(res.closed).toBe(true);
    });

    it('survives a reset in the middle of an upgrade (the process would exit on an uncaught ECONNRESET)', async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve) => {
          const s = connect(Number(host.split(':')[1]), '127.0.0.1', () => {
            s.write('GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
            setTimeout(() => {
              s.resetAndDestroy();
              resolve();
            }, 20);
          });
        });
      }
      const health = await fetch(`http://${host}/api/health`);
      expect(health.status).toBe(200);
    });

    it('tells a client socket error from a bug', () => {
      expect(isPeerSocketError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' }))).toBe(true);
      expect(isPeerSocketError(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' }))).toBe(true);
      expect(isPeerSocketError(new TypeError('x is undefined'))).toBe(false);
      expect(isPeerSocketError(Object.assign(new Error('no such file'), { code: 'ENOENT', syscall: 'open' }))).toBe(false);
    });
  });

  describe('Origin and Sec-Fetch-Site', () => {
    it('refuses a cross-origin form POST to /stop with the admin cookie, and the room keeps running', async () => {
      const room = await newRoom();
      const res = await t.app.request(`/api/rooms/${room.id}/stop`, { method: 'POST', headers: { cookie: admin, origin: EVIL, 'content-type': 'application/x-www-form-urlencoded', host: 'box.lan' }, body: 'x=1' });
      expect(res.status).toBe(403);
      expect((await res.json()).error).toMatchObject({ code: 'cross_origin_refused', field: 'origin' });
      expect(t.ctx.rooms.get(room.id).desiredState).toBe('running');
    });

    it('refuses Origin: null, a same-site sibling port, and Sec-Fetch-Site cross-site/same-site; allows its own origins and non-browser clients', async () => {
      const room = await newRoom();
      const stop = (headers: Record<string, string>) => t.app.request(`/api/rooms/${room.id}/stop`, { method: 'POST', headers: { cookie: admin, host: 'box.lan:8800', ...headers } });
      expect((await stop({ origin: 'null' })).status).toBe(403);
      expect((await stop({ origin: 'http://box.lan:9999' })).status).toBe(403);
      expect((await stop({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      expect((await stop({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
      expect(t.ctx.rooms.get(room.id).desiredState).toBe('running');
      expect((await stop({ origin: 'http://box.lan:8800', 'sec-fetch-site': 'same-origin' })).status).toBe(200);
      expect((await t.app.request(`/api/rooms/${room.id}/start`, { method: 'POST', headers: { cookie: admin, host: 'box.lan:8800', origin: 'https://box.lan' } })).status).toBe(200); // its https origin (port 443 in this config)
      expect((await t.app.request(`/api/rooms/${room.id}/stop`, { method: 'POST', headers: { cookie: admin } })).status).toBe(200); // curl with the cookie
    });

    it('refuses login and join from another origin (login CSRF)', async () => {
      const login = await t.app.request('/api/auth/login', { ...json({ password: 'x' }), headers: { 'content-type': 'application/json', origin: EVIL } });
      expect(login.status).toBe(403);
      const room = await newRoom({ password: 'long enough' });
      const join = await t.app.request(`/api/rooms/${room.id}/join`, { ...json({ password: 'long enough' }), headers: { 'content-type': 'application/json', origin: EVIL } });
      expect(join.status).toBe(403);
      expect(join.headers.get('set-cookie')).toBeNull();
    });

    it('refuses a WebSocket from an evil Origin on the room channel and the fast path, and takes its own', async () => {
      const room = await newRoom();
      for (const path of [`/api/rooms/${room.id}/events?name=eve`, `/api/rooms/${room.id}/media`, `/api/rooms/${room.id}/vnc?token=x`]) {
        const status = await new Promise<number>((resolve) => {
          const ws = new WebSocket(`ws://${host}${path}`, { headers: { origin: EVIL } });
          ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
          ws.on('open', () => resolve(101));
          ws.on('error', () => undefined);
        });
        expect(status, path).toBe(403);
      }
      const member = await joinRoom(host, room.id, 'ann');
      expect(member.you.name).toBe('ann');
      member.ws.close();
    });
  });

  describe('security headers', () => {
    it('sends CSP, nosniff, no-referrer and no framing on pages, API answers and errors', async () => {
      for (const path of ['/', '/api/health', '/api/rooms', '/no/such/thing']) {
        const res = await t.app.request(path, { headers: { host: 'box.lan:8800' } });
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp, path).toContain("script-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain('media-src \'self\' blob:');
        expect(csp).toContain('ws://box.lan:8800 wss://box.lan:8800');
        expect(csp).not.toContain('unsafe-inline');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
      }
    });

    it('the built pages have no inline script, style or style attribute (the CSP allows none)', () => {
      // A fresh build of the current source, beside the real one.
      const root = join(import.meta.dirname, '..', '..');
      const dist = join(t.dir, 'web-dist');
      execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--outDir', dist, '--emptyOutDir', '--logLevel', 'error'], { cwd: root, stdio: 'pipe' });
      for (const page of ['index.html', 'room.html']) {
        const html = readFileSync(join(dist, page), 'utf8');
        expect(html, page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
        expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      }
      // video.js's default <style> is off before video.js runs (web/src/player/noDynamicStyle.ts).
      const vendor = readdirSync(join(dist, 'assets')).find((f) => /^vendor-.*\.js$/.test(f))!;
      const js = readFileSync(join(dist, 'assets', vendor), 'utf8');
      expect(js.indexOf('VIDEOJS_NO_DYNAMIC_STYLE=!0')).toBeGreaterThan(-1);
      expect(js.indexOf('VIDEOJS_NO_DYNAMIC_STYLE=!0')).toBeLessThan(js.indexOf('vjs-styles-defaults'));
    }, 60_000);

    it('keeps a hostile Host out of the CSP', async () => {
      const res = await t.app.request('/api/health', { headers: { host: 'a;script-src *' } });
      expect(res.headers.get('content-security-policy')).not.toContain('script-src *');
    });
  });

  describe('forwarded headers', () => {
    const get = (path: string, headers: Record<string, string>, socketPath?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ ...(socketPath ? { socketPath } : { host: '127.0.0.1', port: Number(host.split(':')[1]) }), path, method: 'GET', headers }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });

    it('believes X-Forwarded-Host only on the edge socket, and a malformed one is a 400, not a 500', async () => {
      const room = await newRoom();
      const spoof = { host: host, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };
      const direct = JSON.parse((await get(`/api/rooms/${room.id}/configuration`, spoof)).body);
      expect(direct.shareUrl).toBe(`http://${host}/rooms/${room.id}`);
      const viaEdge = JSON.parse((await get(`/api/rooms/${room.id}/configuration`, spoof, sock)).body);
      expect(viaEdge.shareUrl).toBe(`https://evil.example/rooms/${room.id}`);
      for (const bad of ['a:b', 'a b', 'x/y', 'u@h']) {
        const res = await get(`/api/rooms/${room.id}/configuration`, { host: 'box', 'x-forwarded-host': bad }, sock);
        expect(res.status, bad).toBe(400);
        expect(JSON.parse(res.body).error.field).toBe('x-forwarded-host');
      }
    });

    it('ignores X-Real-IP from a loopback peer on the TCP port: it cannot choose its throttle bucket', async () => {
      const login = (ip: string) => fetch(`http://${host}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-real-ip': ip }, body: JSON.stringify({ password: 'wrong' }) });
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await login(`192.0.2.${i + 1}`)).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(5)).toEqual([429, 429, 429]); // one bucket (127.0.0.1), whatever the header said
    });
  });

  describe('throttles count before checking', () => {
    it('checks only the free tries of 16 concurrent wrong admin passwords', async () => {
      const res = await Promise.all(Array.from({ length: 16 }, () => t.app.request('/api/auth/login', json({ password: 'wrong' }))));
      const statuses = res.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(11);
    });

    it('checks only the free tries of 16 concurrent wrong room passwords', async () => {
      const room = await newRoom({ password: 'long enough' });
      const res = await Promise.all(Array.from({ length: 16 }, () => t.app.request(`/api/rooms/${room.id}/join`, json({ password: 'wrong one' }))));
      expect(res.filter((r) => r.status === 401)).toHaveLength(5);
      expect(res.filter((r) => r.status === 429)).toHaveLength(11);
    });
  });

  describe('room passwords, grants, kick', () => {
    it('wants room passwords of 8 characters or more', async () => {
      const short = await t.app.request('/api/rooms', json({ name: 'R', startUrl: 'https://example.org', password: 'seven77' }, admin));
      expect(short.status).toBe(400);
      expect((await short.json()).error).toMatchObject({ code: 'invalid_argument', field: 'password' });
      const room = await newRoom();
      const put = await t.app.request(`/api/rooms/${room.id}/password`, json({ password: 'short' }, admin, 'PUT'));
      expect(put.status).toBe(400);
      expect((await put.json()).error.field).toBe('password');
    });

    it('gives each Join its own grant; a kick closes that participant\'s channel and their cookie stops working, not the others\'', async () => {
      const room = await newRoom({ password: 'long enough' });
      const join = async () => cookieFrom(await t.app.request(`/api/rooms/${room.id}/join`, json({ password: 'long enough' })));
      const [ann, bob] = [await join(), await join()];
      expect(ann).not.toBe(bob);
      const a = await joinRoom(host, room.id, 'ann', ann);
      const b = await joinRoom(host, room.id, 'bob', bob);
      const closed = new Promise<number>((r) => a.ws.once('close', (code) => r(code)));
      // Ann's fast-path stream, which a hostile page would keep open after its channel closed.
      const annMedia = new WebSocket(`ws://${host}/api/rooms/${room.id}/media`, { headers: { cookie: ann, origin: `http://${host}` } });
      await new Promise((resolve, reject) => annMedia.once('open', resolve).once('error', reject));
      const mediaClosed = new Promise<number>((r) => annMedia.once('close', (code) => r(code)));

      const list = await (await t.app.request(`/api/rooms/${room.id}/participants`, { headers: { cookie: admin } })).json();
      expect(list.participants.map((p: { name: string }) => p.name).sort()).toEqual(['ann', 'bob']);
      const kick = await t.app.request(`/api/rooms/${room.id}/participants/${a.you.id}`, { method: 'DELETE', headers: { cookie: admin } });
      expect(kick.status).toBe(200);
      expect(await kick.json()).toMatchObject({ removed: true, accessRevoked: true, canRejoin: false });
      expect(await closed).toBe(4010);
      expect(await mediaClosed, 'the fast-path stream of the kicked grant').toBe(4010);

      expect((await t.app.request(`/api/rooms/${room.id}/configuration`, { headers: { cookie: ann } })).status).toBe(401);
      await expect(joinRoom(host, room.id, 'ann again', ann)).rejects.toThrow(/401/);
      expect((await t.app.request(`/api/rooms/${room.id}/configuration`, { headers: { cookie: bob } })).status).toBe(200);
      await b.next((m) => m.type === 'state' && (m.participants as unknown[]).length === 1);
      b.ws.close();
    });

    it('needs the admin to kick, and says an open room lets the person back in', async () => {
      const room = await newRoom();
      const a = await joinRoom(host, room.id, 'ann');
      expect((await t.app.request(`/api/rooms/${room.id}/participants/${a.you.id}`, { method: 'DELETE' })).status).toBe(401);
      const kick = await t.app.request(`/api/rooms/${room.id}/participants/${a.you.id}`, { method: 'DELETE', headers: { cookie: admin } });
      expect(await kick.json()).toMatchObject({ removed: true, accessRevoked: false, canRejoin: true });
      expect((await t.app.request(`/api/rooms/${room.id}/participants/nosuchparticipant`, { method: 'DELETE', headers: { cookie: admin } })).status).toBe(404);
    });

    it('changing the password revokes every grant and closes every channel but the admin\'s', async () => {
      const room = await newRoom({ password: 'long enough' });
      const ann = cookieFrom(await t.app.request(`/api/rooms/${room.id}/join`, json({ password: 'long enough' })));
      const a = await joinRoom(host, room.id, 'ann', ann);
      const boss = await joinRoom(host, room.id, 'boss', admin);
      const closed = new Promise<number>((r) => a.ws.once('close', (code) => r(code)));
      const put = await t.app.request(`/api/rooms/${room.id}/password`, json({ password: 'a new long one' }, admin, 'PUT'));
      expect(put.status).toBe(200);
      expect(await put.json()).toMatchObject({ changed: true, passwordProtected: true, grantsRevoked: 1, channelsClosed: 1 });
      expect(await closed).toBe(4011);
      expect(boss.ws.readyState).toBe(WebSocket.OPEN);
      expect((await t.app.request(`/api/rooms/${room.id}/configuration`, { headers: { cookie: ann } })).status).toBe(401);
      expect((await t.app.request(`/api/rooms/${room.id}/join`, json({ password: 'long enough' }))).status).toBe(401);
      expect((await t.app.request(`/api/rooms/${room.id}/join`, json({ password: 'a new long one' }))).status).toBe(200);
      // null opens the room
      expect((await t.app.request(`/api/rooms/${room.id}/password`, json({ password: null }, admin, 'PUT'))).status).toBe(200);
      expect((await t.app.request(`/api/rooms/${room.id}/configuration`)).status).toBe(200);
      boss.ws.close();
    });
  });

  describe('input validation', () => {
    it('refuses names with NUL, bidi overrides or escape characters, on rooms and participants', async () => {
      for (const name of ['a\u0000b', 'evil\u202Egnp.exe', 'x\u001b[31m', 'zero\u200bwidth']) {
        const res = await t.app.request('/api/rooms', json({ name, startUrl: 'https://example.org' }, admin));
        expect(res.status, JSON.stringify(name)).toBe(400);
        expect((await res.json()).error.field).toBe('name');
      }
      const room = await newRoom();
      await expect(joinRoom(host, room.id, 'evil\u202Egnp.exe')).rejects.toThrow(/400/);
    });

    it('checks startUrl\'s length after normalisation', async () => {
      const res = await t.app.request('/api/rooms', json({ name: 'R', startUrl: `https://example.org/${'é'.repeat(1000)}` }, admin));
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatchObject({ field: 'startUrl' });
      expect(t.ctx.rooms.list()).toHaveLength(0);
    });
  });
});
