/**
 * HTTPS as the admin service sees it: GET /api/tls and GET /ca.crt (no login), share links per
 * scheme in the room view, and admin credentials refused on plain HTTP from another machine.
 * The status file is what provisioning/tls/streambox-tls writes; here the tests write it.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { ADMIN_PASSWORD, json, makeTestApp, type TestApp } from '../support/testApp.js';

const VALID = { name: 'TLS room', startUrl: 'https://example.org/' };
const ENV = { STREAMBOX_HTTP_PORT: '8800', STREAMBOX_HTTPS_PORT: '8443' };

let pems: { ca: string; leaf: string };
let pemDir: string;

beforeAll(() => {
  pemDir = mkdtempSync(join(tmpdir(), 'sbx-tls-pem-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pemDir, stdio: ['ignore', 'pipe', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=streambox appliance CA test', '-addext', 'basicConstraints=critical,CA:TRUE');
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.crt', '-days', '2', '-subj', '/CN=leaf', '-addext', 'basicConstraints=critical,CA:FALSE');
  pems = { ca: execFileSync('cat', [join(pemDir, 'ca.crt')], { encoding: 'utf8' }), leaf: execFileSync('cat', [join(pemDir, 'leaf.crt')], { encoding: 'utf8' }) };
});
afterAll(() => rmSync(pemDir, { recursive: true, force: true }));

function status(source: 'self' | 'operator' | 'acme', reason: string | null = null) {
  return {
    source,
    reason,
    subject: 'O=streambox,CN=box',
    names: ['box', 'localhost', '127.0.0.1', '192.0.2.2', '::1'],
    notAfter: '2028-01-02T21:09:59Z',
    fingerprintSha256: 'AA:BB',
    caFingerprintSha256: source === 'self' ? 'CC:DD' : null,
    updatedAt: '2026-12-01T21:09:59Z',
  };
}

describe('HTTPS in the admin service', () => {
  let t: TestApp;
  let tlsDir: string;
  const writeStatus = (s: unknown) => {
    mkdirSync(tlsDir, { recursive: true });
    // A new mtime and size each time: the reader caches by both.
    writeFileSync(join(tlsDir, 'status.json'), typeof s === 'string' ? s : JSON.stringify(s));
  };
  const writeCa = (pem: string) => {
    mkdirSync(join(tlsDir, 'ca'), { recursive: true });
    writeFileSync(join(tlsDir, 'ca', 'ca.crt'), pem);
  };
  const get = (path: string, headers: Record<string, string> = {}) => t.app.request(path, { headers: { host: '192.0.2.2:8800', ...headers } });

  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbx-api-tls-'));
    tlsDir = join(dir, 'tls-state');
    t = await makeTestApp(new FakeRuntime(), { dir, env: { ...ENV, STREAMBOX_TLS_DIR: tlsDir } });
  });
  afterEach(() => {
    t.close();
    rmSync(t.dir, { recursive: true, force: true });
  });

  describe('GET /api/tls', () => {
    it('says there is no status where streambox-tls never ran, with links as the client came', async () => {
      const res = await get('/api/tls');
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ source: null, httpsPort: 8443, httpPort: 8800, httpsUrl: null, httpUrl: 'http://192.0.2.2:8800', roomPagesOnHttp: false, caUrl: null });
      expect(body.reason).toMatch(/streambox-tls/);
    });

    it('in the appliance-CA mode: the status, both base URLs for this host, and where the CA is', async () => {
      writeStatus(status('self'));
      writeCa(pems.ca);
      const body = await (await get('/api/tls')).json();
      expect(body).toEqual({
        ...status('self'),
        httpsPort: 8443,
        httpPort: 8800,
        httpsUrl: 'https://192.0.2.2:8443',
        httpUrl: 'http://192.0.2.2:8800',
        roomPagesOnHttp: true,
        caUrl: '/ca.crt',
      });
    });

    it('uses the host the request was addressed to (IPv6 and forwarded hosts included)', async () => {
      writeStatus(status('self'));
      expect((await (await get('/api/tls', { host: '[fd00::2]:8443' })).json()).httpsUrl).toBe('https://[fd00::2]:8443');
      expect((await (await get('/api/tls', { 'x-forwarded-host': 'box.lan:8443' })).json()).httpUrl).toBe('http://box.lan:8800');
    });

    it('omits the standard ports (the VM image: 443 and 80)', async () => {
      t.close();
      t = await makeTestApp(new FakeRuntime(), { dir: t.dir, env: { STREAMBOX_TLS_DIR: tlsDir } });
      writeStatus(status('self'));
      const body = await (await get('/api/tls', { host: 'box.lan' })).json();
      expect(body).toMatchObject({ httpsPort: 443, httpPort: 80, httpsUrl: 'https://box.lan', httpUrl: 'http://box.lan' });
    });

    it('with a trusted certificate: no plain-HTTP links, the reason of a fallback is kept', async () => {
      writeStatus(status('operator'));
      const body = await (await get('/api/tls')).json();
      expect(body).toMatchObject({ source: 'operator', reason: null, httpsUrl: 'https://192.0.2.2:8443', httpUrl: null, roomPagesOnHttp: false, caUrl: null, caFingerprintSha256: null });
      writeStatus(status('self', 'operator certificate not used: /etc/streambox/tls/fullchain.pem expired on 2020-01-02T00:00:00Z'));
      expect((await (await get('/api/tls')).json()).reason).toMatch(/expired/);
    });

    it('treats an unreadable or foreign status file as no status', async () => {
      for (const bad of ['{not json', JSON.stringify({ source: 'martian' }), JSON.stringify([1, 2]), '']) {
        writeStatus(bad);
        const body = await (await get('/api/tls')).json();
        expect(body.source, bad).toBeNull();
      }
    });

    it('answers 400 naming the field for a Host header that is no host', async () => {
      writeStatus(status('self'));
      for (const host of ['bad host', 'a/b', 'user@evil.example']) {
        const res = await get('/api/tls', { host });
        expect(res.status, host).toBe(400);
        expect((await res.json()).error).toMatchObject({ code: 'invalid_argument', field: 'host' });
      }
    });

    it('needs no login and lets nothing secret out', async () => {
      writeStatus(status('self'));
      writeFileSync(join(tlsDir, 'privkey.pem'), 'SECRET');
      const text = await (await get('/api/tls')).text();
      expect(text).not.toContain('SECRET');
      expect(text).not.toMatch(/PRIVATE KEY/);
    });
  });

  describe('GET /ca.crt', () => {
    it('is 404 with an error body when the appliance has no CA', async () => {
      const res = await get('/ca.crt');
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    });

    it('serves the CA certificate without login, as application/x-x509-ca-cert', async () => {
      writeCa(pems.ca);
      const res = await get('/ca.crt');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-x509-ca-cert');
      expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="streambox-ca\.crt"/);
      const cert = new X509Certificate(await res.text());
      expect(cert.ca).toBe(true);
      expect(cert.subject).toContain('streambox appliance CA');
    });

    it('refuses to serve what is not a CA certificate', async () => {
      for (const bad of ['garbage', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', pems.leaf]) {
        writeCa(bad);
        const res = await get('/ca.crt');
        expect(res.status).toBe(404);
        expect((await res.json()).error.code).toBe('not_found');
      }
    });
  });

  describe('admin credentials', () => {
    const login = (headers: Record<string, string>) => t.app.request('/api/auth/login', { ...json({ password: ADMIN_PASSWORD }), headers: { 'content-type': 'application/json', ...headers } });

    it('refuses admin login over plain HTTP from another machine with 403 https_required', async () => {
      const res = await login({ 'x-real-ip': '192.0.2.50', 'x-forwarded-proto': 'http' });
      expect(res.status).toBe(403);
      const body = await res.json();
      expect(body.error.code).toBe('https_required');
      expect(body.error.message).toMatch(/https/i);
      expect(res.headers.getSetCookie()).toEqual([]);
    });

    it('refuses it before looking at the body, so a wrong password costs no throttle step', async () => {
      const res = await t.app.request('/api/auth/login', { ...json('{broken'), headers: { 'content-type': 'application/json', 'x-real-ip': '192.0.2.50' } });
      expect(res.status).toBe(403);
    });

    it('allows it over HTTPS from another machine (Secure cookie) and over plain HTTP from loopback', async () => {
      const https = await login({ 'x-real-ip': '192.0.2.50', 'x-forwarded-proto': 'https' });
      expect(https.status).toBe(200);
      expect(https.headers.getSetCookie().join(';')).toMatch(/Secure/);
      for (const ip of ['127.0.0.1', '::1']) {
        const res = await login({ 'x-real-ip': ip, 'x-forwarded-proto': 'http' });
        expect(res.status, ip).toBe(200);
      }
    });

    it('refuses a password change over plain HTTP from another machine', async () => {
      const cookie = await t.login();
      const res = await t.app.request('/api/auth/password', { ...json({ currentPassword: ADMIN_PASSWORD, newPassword: 'another long password' }), headers: { 'content-type': 'application/json', cookie, 'x-real-ip': '192.0.2.50' } });
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe('https_required');
    });
  });

  describe('share links', () => {
    const createRoom = async (headers: Record<string, string> = {}) => {
      const cookie = await t.login();
      const res = await t.app.request('/api/rooms', { ...json(VALID, cookie), headers: { 'content-type': 'application/json', cookie, host: '192.0.2.2:8443', 'x-forwarded-proto': 'https', ...headers } });
      expect(res.status).toBe(201);
      return res.json();
    };

    it('in the appliance-CA mode: shareUrl is https, shareUrls offers plain http too', async () => {
      writeStatus(status('self'));
      const room = await createRoom();
      expect(room.shareUrl).toBe(`https://192.0.2.2:8443/rooms/${room.id}`);
      expect(room.shareUrls).toEqual({ https: `https://192.0.2.2:8443/rooms/${room.id}`, http: `http://192.0.2.2:8800/rooms/${room.id}` });
      // The room page's own URLs follow the scheme it was opened with.
      expect(room.stream.web[0].url).toBe(`wss://192.0.2.2:8443/api/rooms/${room.id}/media`);
      const conf = await (await t.app.request(`/api/rooms/${room.id}/configuration`, { headers: { host: '192.0.2.2:8800', 'x-forwarded-proto': 'http' } })).json();
      expect(conf.shareUrls).toEqual(room.shareUrls);
      expect(conf.shareUrl).toBe(room.shareUrl);
      expect(conf.stream.web[0].url).toBe(`ws://192.0.2.2:8800/api/rooms/${room.id}/media`);
    });

    it('with a trusted certificate: only the https link', async () => {
      writeStatus(status('acme'));
      const room = await createRoom();
      expect(room.shareUrls).toEqual({ https: `https://192.0.2.2:8443/rooms/${room.id}`, http: null });
    });

    it('even a dashboard reached on loopback over plain HTTP shares the https link', async () => {
      writeStatus(status('self'));
      const room = await createRoom({ host: '127.0.0.1:8800', 'x-forwarded-proto': 'http' });
      expect(room.shareUrl).toBe(`https://127.0.0.1:8443/rooms/${room.id}`);
      expect(room.shareUrls.http).toBe(`http://127.0.0.1:8800/rooms/${room.id}`);
    });

    it('STREAMBOX_PUBLIC_URL still decides the link', async () => {
      t.close();
      t = await makeTestApp(new FakeRuntime(), { dir: t.dir, env: { ...ENV, STREAMBOX_TLS_DIR: tlsDir, STREAMBOX_PUBLIC_URL: 'https://rooms.example.net' } });
      writeStatus(status('operator'));
      const room = await createRoom();
      expect(room.shareUrl).toBe(`https://rooms.example.net/rooms/${room.id}`);
      expect(room.shareUrls).toEqual({ https: `https://rooms.example.net/rooms/${room.id}`, http: null });
    });

    it('without TLS on this machine (dev server): the link the client used, as before', async () => {
      const cookie = await t.login();
      const room = await (await t.app.request('/api/rooms', json(VALID, cookie))).json();
      expect(room.shareUrl).toBe(`http://localhost/rooms/${room.id}`);
      expect(room.shareUrls).toEqual({ https: null, http: `http://localhost/rooms/${room.id}` });
    });
  });
});
