/**
 * HTTPS on the booted appliance: nginx terminates TLS with the certificate streambox-tls chose
 * (provisioning/tls/streambox-tls). The appliance's own CA first (what a fresh appliance
 * serves), then an operator certificate dropped into /etc/streambox/tls (bound from the state
 * directory), then broken operator certificates, which must fall back to the appliance CA with
 * the reason in status.json and the journal. Requests go to this machine's non-loopback address,
 * as a participant's would, trusting exactly the CA in question.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { bootAppliance, httpsGet, type Appliance } from '../harness/appliance.js';
import { startPageServer, type PageServer } from '../support/pageServer.js';
import { eventually } from '../support/eventually.js';
import { HTTPS_PORT, HTTP_PORT as PORT, dropOperatorPair, plain, removeOperatorPair, type TlsStatus } from '../support/applianceTls.js';

/** The last fragment named in a playlist (which changes while the stream advances). */
const lastFragment = (playlist: string) => playlist.split('\n').filter((l) => l && !l.startsWith('#')).at(-1) ?? '';

describe('HTTPS on the appliance', () => {
  let appliance: Appliance;
  let pages: PageServer;
  let cookie: string;
  let ca: string;
  let work: string;
  let roomId = '';

  const status = () => JSON.parse(readFileSync(join(appliance.tlsStateDir, 'status.json'), 'utf8')) as TlsStatus;
  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const journal = async () => (await appliance.exec(['journalctl', '-u', 'streambox-tls', '--no-pager', '-o', 'cat'])).stdout;

  /** The certificate nginx presents on the HTTPS port right now, trusting `trust`. */
  const served = async (trust: string) => (await httpsGet(`${appliance.httpsUrl}/api/health`, { ca: trust })).peer;
  /**
   * GET /api/tls over HTTPS trusting `trust`, retried until `ok`: two reloads in quick
   * succession (key, then certificate) leave old-generation workers accepting for a moment,
   * so one handshake with the new certificate does not mean the next one gets it.
   */
  const tlsApi = (trust: string, ok: (tls: { source: string; reason: string | null }) => boolean) =>
    eventually('GET /api/tls over the new certificate', async () => JSON.parse((await httpsGet(`${appliance.httpsUrl}/api/tls`, { ca: trust })).body) as { source: string; reason: string | null }, ok, 15_000, 250);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sbx-tls-e2e-'));
    pages = await startPageServer();
    appliance = await bootAppliance({ port: PORT, httpsPort: HTTPS_PORT });
    cookie = await appliance.login();
    ca = readFileSync(appliance.caPemPath, 'utf8');
  }, 1_800_000);

  afterAll(async () => {
    await appliance?.stop();
    await pages?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('passes systemd-analyze verify for the TLS units', async () => {
    const units = ['streambox-tls.service', 'streambox-tls.path', 'streambox-tls.timer', 'streambox-acme.service', 'streambox-acme.timer'];
    const verify = await appliance.exec(['systemd-analyze', 'verify', ...units.map((u) => `/usr/local/lib/systemd/system/${u}`)]);
    expect(verify.stderr.trim() + verify.stdout.trim()).toBe('');
    const active = await appliance.exec(['systemctl', 'is-active', 'streambox-tls.path', 'streambox-tls.timer', 'streambox-acme.timer', 'nginx.service']);
    expect(active.stdout.trim().split('\n')).toEqual(['active', 'active', 'active', 'active']);
  });

  describe("with the appliance's own CA", () => {
    it('made a name-constrained P-256 CA, and a status file that says so', async () => {
      const caCert = new X509Certificate(ca);
      expect(caCert.ca).toBe(true);
      expect(caCert.subject).toMatch(/CN=streambox appliance CA /);
      expect(caCert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
      const text = ssl('x509', '-in', appliance.caPemPath, '-noout', '-text');
      expect(text).toMatch(/Name Constraints: critical/);
      expect(text).toMatch(/IP:192\.168\.0\.0\/255\.255\.0\.0/);
      const keyMode = (await appliance.exec(['stat', '-c', '%a %U', '/var/lib/streambox/tls/ca/ca.key'])).stdout.trim();
      expect(keyMode).toBe('600 root');

      const s = status();
      expect(s).toMatchObject({ source: 'self', reason: null, caFingerprintSha256: caCert.fingerprint256 });
      expect(s.names).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', appliance.address]));
      expect(Date.parse(s.notAfter)).toBeGreaterThan(Date.now() + 300 * 86400_000);
    });

    it('serves HTTPS on the non-loopback address with a chain that verifies against the CA', async () => {
      const res = await httpsGet(`${appliance.httpsUrl}/api/health`, { ca });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).ok).toBe(true);
      expect(res.peer.subjectaltname).toContain(`IP Address:${appliance.address}`);
      expect(res.peer.subjectaltname).toContain('IP Address:127.0.0.1');
      expect(res.peer.fingerprint256).toBe(status().fingerprintSha256);
      expect(res.headers['strict-transport-security'], 'no HSTS with the appliance CA').toBeUndefined();
      // Loopback too (the certificate names it), and a client that trusts nothing else refuses.
      expect((await httpsGet(`https://127.0.0.1:${HTTPS_PORT}/api/health`, { ca })).status).toBe(200);
      await expect(httpsGet(`${appliance.httpsUrl}/api/health`, { ca: readFileSync('/etc/ssl/certs/ca-certificates.crt') })).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    });

    it('makes the server certificate again when the addresses change (same CA)', async () => {
      // A second loopback address on this machine's lo, from the host: the container shares its
      // network (but has no CAP_NET_ADMIN).
      const extra = '127.0.0.77';
      const before = status();
      execFileSync('ip', ['addr', 'add', `${extra}/8`, 'dev', 'lo']);
      try {
        const r = await appliance.exec(['streambox-tls', 'select']);
        expect(r.code, r.stderr).toBe(0);
        const after = status();
        expect(after.names).toContain(extra);
        expect(after.fingerprintSha256).not.toBe(before.fingerprintSha256);
        expect(after.caFingerprintSha256).toBe(before.caFingerprintSha256);
        const peer = await eventually('nginx to serve the new certificate', () => served(ca), (p) => p.fingerprint256 === after.fingerprintSha256, 15_000, 250);
        expect(peer.subjectaltname).toContain(`IP Address:${extra}`);
        // Nothing changed: no new certificate.
        await appliance.exec(['streambox-tls', 'select']);
        expect(status().fingerprintSha256).toBe(after.fingerprintSha256);
      } finally {
        execFileSync('ip', ['addr', 'del', `${extra}/8`, 'dev', 'lo']);
      }
      await appliance.exec(['streambox-tls', 'select']);
      expect(status().names).not.toContain(extra);
      // The reload's old worker is stopped a few seconds later, and with it any kept-alive
      // connection a client (this test's fetch) still holds to it: let it go before going on.
      await eventually('the old nginx worker to be gone', async () => (await appliance.exec(['sh', '-c', 'ps -eo args | grep -c "^nginx: worker process is shutting down" || true'])).stdout.trim(), (n) => n === '0', 30_000, 500);
    }, 90_000);

    it('speaks TLS 1.2 and 1.3 only', async () => {
      const tryVersion = (v: string) => {
        try {
          ssl('s_client', '-connect', `${appliance.address}:${HTTPS_PORT}`, `-${v}`, '-brief', '-CAfile', appliance.caPemPath);
          return true;
        } catch {
          return false;
        }
      };
      expect(tryVersion('tls1_3')).toBe(true);
      expect(tryVersion('tls1_2')).toBe(true);
      expect(tryVersion('tls1_1')).toBe(false);
    });

    it('keeps room pages on plain HTTP, and sends the dashboard and admin login to HTTPS', async () => {
      const http = appliance.httpUrl;
      const dash = await plain(`${http}/`);
      expect(dash.status).toBe(302);
      expect(dash.headers.get('location')).toBe(`${appliance.httpsUrl}/`);
      for (const path of ['/api/rooms', '/api/auth/session']) {
        const res = await plain(`${http}${path}`);
        expect(res.status, path).toBe(403);
        expect((await res.json()).error.code, path).toBe('https_required');
      }
      const login = await plain(`${http}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: appliance.adminPassword }) });
      expect(login.status).toBe(403);
      expect((await plain(`${http}/api/health`)).status).toBe(200);
      const caRes = await plain(`${http}/ca.crt`);
      expect(caRes.status).toBe(200);
      expect(caRes.headers.get('content-type')).toBe('application/x-x509-ca-cert');
      expect(fingerprint(await caRes.text())).toBe(new X509Certificate(ca).fingerprint256);
      const tls = await (await plain(`${http}/api/tls`)).json();
      expect(tls).toMatchObject({ source: 'self', httpsUrl: appliance.httpsUrl, httpUrl: appliance.httpUrl, roomPagesOnHttp: true, caUrl: '/ca.crt' });
      // Loopback is a secure context on plain HTTP: everything stays there (tests, local tools).
      expect((await plain(`${appliance.baseUrl}/`)).status).toBe(200);
      expect((await plain(`${appliance.baseUrl}/api/rooms`, { headers: { cookie } })).status).toBe(200);
    });

    it('logs in over HTTPS from the network with a Secure cookie', async () => {
      const res = await httpsGet(`${appliance.httpsUrl}/api/auth/login`, { ca, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: appliance.adminPassword }) });
      expect(res.status).toBe(200);
      expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
    });

    it('serves a room over HTTPS: share links, HLS and the media WebSocket over wss', async () => {
      const create = await fetch(`${appliance.baseUrl}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'tls', startUrl: pages.url('/tone'), width: 640, height: 360, fps: 15 }) });
      expect(create.status).toBe(201);
      roomId = ((await create.json()) as { id: string }).id;

      const conf = JSON.parse((await httpsGet(`${appliance.httpsUrl}/api/rooms/${roomId}/configuration`, { ca })).body);
      expect(conf.shareUrl).toBe(`${appliance.httpsUrl}/rooms/${roomId}`);
      expect(conf.shareUrls).toEqual({ https: `${appliance.httpsUrl}/rooms/${roomId}`, http: `${appliance.httpUrl}/rooms/${roomId}` });
      const hls = conf.stream.web.find((s: { kind: string }) => s.kind === 'hls').url as string;
      const fast = conf.stream.web.find((s: { kind: string }) => s.kind === 'fast').url as string;
      expect(hls).toBe(`${appliance.httpsUrl}/hls/${roomId}.m3u8`);
      expect(fast).toBe(`wss://${appliance.address}:${HTTPS_PORT}/api/rooms/${roomId}/media`);

      const page = await httpsGet(`${appliance.httpsUrl}/rooms/${roomId}`, { ca });
      expect(page.status).toBe(200);
      const playlist = await eventually('the HLS playlist over https', async () => (await httpsGet(hls, { ca })).body, (t) => t.startsWith('#EXTM3U') && lastFragment(t) !== '', 30_000, 500);
      const frag = await httpsGet(hls.replace(/[^/]+\.m3u8$/, lastFragment(playlist)), { ca });
      expect(frag.status).toBe(200);
      // Room pages on plain HTTP for people who did not trust the CA.
      expect((await plain(`${appliance.httpUrl}/rooms/${roomId}`)).status).toBe(200);
      expect((await plain(hls.replace(appliance.httpsUrl, appliance.httpUrl))).status).toBe(200);

      const frames = await new Promise<{ init: boolean; binary: number }>((resolve, reject) => {
        const ws = new WebSocket(fast, { ca, headers: { origin: appliance.httpsUrl } });
        const seen = { init: false, binary: 0 };
        const timer = setTimeout(() => {
          ws.close();
          reject(new Error(`wss: ${JSON.stringify(seen)} within 20 s`));
        }, 20_000);
        ws.on('error', reject);
        ws.on('message', (data, isBinary) => {
          if (!isBinary && JSON.parse(String(data)).type === 'init') seen.init = true;
          if (isBinary) seen.binary++;
          if (seen.init && seen.binary >= 10) {
            clearTimeout(timer);
            ws.close();
            resolve(seen);
          }
        });
      });
      expect(frames.init).toBe(true);
    }, 90_000);
  });

  describe('with an operator certificate', () => {
    let opCa: string;
    let leaf: { cert: string; key: string };

    beforeAll(() => {
      ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'op-ca.key', '-out', 'op-ca.crt', '-days', '2', '-subj', '/CN=operator test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
      ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'op.key', '-out', 'op.csr', '-subj', '/CN=rooms.example.test');
      writeFileSync(join(work, 'op.ext'), `subjectAltName=DNS:rooms.example.test,IP:${'ADDR'}\nextendedKeyUsage=serverAuth\n`.replace('ADDR', appliance.address));
      ssl('x509', '-req', '-in', 'op.csr', '-CA', 'op-ca.crt', '-CAkey', 'op-ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'op.ext', '-out', 'op.crt');
      opCa = readFileSync(join(work, 'op-ca.crt'), 'utf8');
      leaf = { cert: readFileSync(join(work, 'op.crt'), 'utf8') + opCa, key: readFileSync(join(work, 'op.key'), 'utf8') };
    });

    it('is served within seconds of being dropped in, without a manual step, while HLS goes on', async () => {
      expect(roomId, 'the room of the previous test').not.toBe('');
      const hls = `${appliance.baseUrl}/hls/${roomId}.m3u8`;
      const before = lastFragment(await (await fetch(hls)).text());
      const dropped = Date.now();
      dropOperatorPair(appliance, leaf.cert, leaf.key);
      const peer = await eventually('nginx to serve the operator certificate', () => served(opCa), (p) => p.fingerprint256 === fingerprint(leaf.cert), 15_000, 250);
      console.log(`operator certificate served ${Date.now() - dropped} ms after it was dropped in`);
      expect(peer.subject.CN).toBe('rooms.example.test');
      expect(status()).toMatchObject({ source: 'operator', reason: null, caFingerprintSha256: null, names: expect.arrayContaining(['rooms.example.test', appliance.address]) });

      // The reload: the old worker lets go of the room's publisher, the encoder reconnects, and
      // the playlist advances again within seconds (checked for a while after).
      let last = before;
      const advanced: string[] = [];
      const until = Date.now() + 25_000;
      while (Date.now() < until) {
        const r = await fetch(hls).catch(() => null);
        const f = r && r.status === 200 ? lastFragment(await r.text()) : '';
        if (f && f !== last) {
          advanced.push(`${Date.now() - dropped}:${f}`);
          last = f;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      const late = advanced.filter((a) => Number(a.split(':')[0]) > 15_000);
      expect(late.length, `fragments after the reload: ${advanced.join(' ')}`).toBeGreaterThanOrEqual(3);
      const workers = (await appliance.exec(['pgrep', '-c', '-f', 'nginx: worker process'])).stdout.trim();
      expect(workers, 'one nginx worker once the old one is gone').toBe('1');
    }, 60_000);

    it('redirects plain HTTP to HTTPS (but the ACME challenge) and sends HSTS', async () => {
      const res = await plain(`${appliance.httpUrl}/rooms/${roomId}?x=1`);
      expect([301, 308]).toContain(res.status);
      expect(res.headers.get('location')).toBe(`${appliance.httpsUrl}/rooms/${roomId}?x=1`);
      expect((await plain(`${appliance.httpUrl}/api/health`)).status).toBe(308);
      await appliance.exec(['sh', '-c', 'mkdir -p /run/streambox-acme/.well-known/acme-challenge && echo token-value >/run/streambox-acme/.well-known/acme-challenge/test-token']);
      const challenge = await plain(`${appliance.httpUrl}/.well-known/acme-challenge/test-token`);
      expect(challenge.status).toBe(200);
      expect((await challenge.text()).trim()).toBe('token-value');
      const https = await httpsGet(`${appliance.httpsUrl}/api/health`, { ca: opCa });
      expect(https.headers['strict-transport-security']).toBe('max-age=31536000');
      const hls = await httpsGet(`${appliance.httpsUrl}/hls/${roomId}.m3u8`, { ca: opCa });
      expect(hls.headers['strict-transport-security']).toBe('max-age=31536000');
      const tls = await tlsApi(opCa, (t) => t.source === 'operator');
      expect(tls).toMatchObject({ source: 'operator', httpUrl: null, roomPagesOnHttp: false });
      // Loopback keeps plain HTTP.
      expect((await plain(`${appliance.baseUrl}/api/health`)).status).toBe(200);
    });

    const broken: Array<[string, () => { cert: string; key: string }, RegExp]> = [
      ['an expired certificate', () => {
        // openssl 3.0 here has no -not_after: sign it inside the appliance (Debian 13, openssl 3.5).
        return { cert: 'EXPIRED', key: '' };
      }, /expired on 2020-01-02/],
      ['a key that does not match', () => {
        ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key');
        return { cert: leaf.cert, key: readFileSync(join(work, 'other.key'), 'utf8') };
      }, /does not match/],
      ['garbage', () => ({ cert: 'not a certificate\n', key: 'not a key\n' }), /not a PEM certificate/],
    ];

    for (const [what, make, reason] of broken) {
      it(`falls back to the appliance CA for ${what}, saying why (status.json, journal)`, async () => {
        // Back to a good operator pair first, so each case starts from "operator".
        dropOperatorPair(appliance, leaf.cert, leaf.key);
        await eventually('the operator certificate', () => Promise.resolve(status().source), (s) => s === 'operator', 15_000, 250);
        const pair = make();
        if (pair.cert === 'EXPIRED') {
          const made = await appliance.exec(['sh', '-c', 'cd /tmp && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /tmp/x.key -out /tmp/x.crt -subj /CN=old -not_before 20200101000000Z -not_after 20200102000000Z 2>&1 && cat /tmp/x.key']);
          expect(made.code, made.stdout).toBe(0);
          pair.key = made.stdout.slice(made.stdout.indexOf('-----BEGIN'));
          pair.cert = (await appliance.exec(['cat', '/tmp/x.crt'])).stdout;
        }
        dropOperatorPair(appliance, pair.cert, pair.key);
        const s = await eventually('the fallback', () => Promise.resolve(status()), (v) => v.source === 'self', 15_000, 250);
        expect(s.reason).toMatch(reason);
        expect(s.reason).toMatch(/^operator certificate not used: /);
        // nginx serves the appliance CA's certificate again; never nothing.
        const peer = await eventually('nginx to serve the appliance certificate', () => served(ca), (p) => p.fingerprint256 === s.fingerprintSha256, 15_000, 250);
        expect(peer.subjectaltname).toContain(`IP Address:${appliance.address}`);
        expect(await journal()).toMatch(reason);
        const tls = await tlsApi(ca, (t) => t.source === 'self');
        expect(tls.reason).toMatch(reason);
      }, 60_000);
    }

    it('goes back to the appliance CA, with no reason, when the operator files are removed', async () => {
      removeOperatorPair(appliance);
      const s = await eventually('the appliance CA', () => Promise.resolve(status()), (v) => v.source === 'self' && v.reason === null, 15_000, 250);
      expect(s.caFingerprintSha256).toBe(new X509Certificate(ca).fingerprint256);
      await eventually('nginx to serve the appliance certificate', () => served(ca), (p) => p.fingerprint256 === s.fingerprintSha256, 15_000, 250);
      expect((await plain(`${appliance.httpUrl}/rooms/${roomId}`)).status).toBe(200);
    }, 30_000);
  });
});
