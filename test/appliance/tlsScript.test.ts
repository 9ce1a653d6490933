/**
 * provisioning/tls/streambox-tls on its own, on this machine (no boot): certificate selection
 * against temporary directories (STREAMBOX_TLS_* point there; no systemd, so nothing reloads).
 * The booted appliance's side (nginx, the path unit, the reload) is in tls.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/container.js';

const SCRIPT = join(REPO_ROOT, 'provisioning', 'tls', 'streambox-tls');

describe('streambox-tls select (the script alone)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const op = () => join(dir, 'op');
  const state = () => join(dir, 'state');
  const run = (...args: string[]) => {
    const r = spawnSync('sh', [SCRIPT, ...args], { env, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
  };
  const status = () => JSON.parse(readFileSync(join(state(), 'status.json'), 'utf8'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  /** Operator files written a while ago (the script waits 2 s for files younger than that). */
  const operator = (cert: string, key: string) => {
    mkdirSync(op(), { recursive: true });
    writeFileSync(join(op(), 'fullchain.pem'), cert);
    writeFileSync(join(op(), 'privkey.pem'), key);
    const old = new Date(Date.now() - 10_000);
    for (const f of ['fullchain.pem', 'privkey.pem']) utimesSync(join(op(), f), old, old);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sbx-tls-script-'));
    env = { PATH: process.env.PATH, STREAMBOX_ENV_FILE: join(dir, 'streambox.env'), STREAMBOX_TLS_OPERATOR_DIR: op(), STREAMBOX_TLS_DIR: state(), STREAMBOX_ACME_DIR: join(dir, 'acme') };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the appliance CA and a certificate for this machine, and the self mode for nginx', () => {
    const r = run('select');
    expect(r.code, r.stderr).toBe(0);
    const s = status();
    expect(s).toMatchObject({ source: 'self', reason: null });
    expect(s.names).toEqual(expect.arrayContaining(['localhost', '127.0.0.1']));
    const ca = new X509Certificate(readFileSync(join(state(), 'ca', 'ca.crt')));
    expect(ca.ca).toBe(true);
    expect(s.caFingerprintSha256).toBe(ca.fingerprint256);
    expect(statSync(join(state(), 'ca', 'ca.key')).mode & 0o777).toBe(0o600);
    const leaf = new X509Certificate(readFileSync(join(state(), 'active', 'fullchain.pem')));
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.fingerprint256).toBe(s.fingerprintSha256);
    expect(readFileSync(join(state(), 'nginx', 'http.conf'), 'utf8')).toContain('http-self.conf');
    expect(readFileSync(join(state(), 'nginx', 'https.conf'), 'utf8')).toContain('https-self.conf');
    // The key matches the certificate nginx is pointed at.
    expect(ssl('pkey', '-in', join(state(), 'active', 'privkey.pem'), '-pubout')).toBe(ssl('x509', '-in', join(state(), 'active', 'fullchain.pem'), '-noout', '-pubkey'));
  });

  it('changes nothing on a second run when nothing changed', () => {
    run('select');
    const first = { status: readFileSync(join(state(), 'status.json'), 'utf8'), active: readlinkSync(join(state(), 'active')) };
    expect(run('select').code).toBe(0);
    expect(readFileSync(join(state(), 'status.json'), 'utf8')).toBe(first.status);
    expect(readlinkSync(join(state(), 'active'))).toBe(first.active);
  });

  it('prefers a good operator pair (trusted mode), and falls back with the reason for bad ones', () => {
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'good.key', '-out', 'good.crt', '-days', '5', '-subj', '/CN=op.example', '-addext', 'subjectAltName=DNS:op.example');
    ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key');
    const good = { cert: readFileSync(join(dir, 'good.crt'), 'utf8'), key: readFileSync(join(dir, 'good.key'), 'utf8') };
    operator(good.cert, good.key);
    expect(run('select').code).toBe(0);
    expect(status()).toMatchObject({ source: 'operator', reason: null, names: ['op.example'], caFingerprintSha256: null });
    expect(readFileSync(join(state(), 'nginx', 'http.conf'), 'utf8')).toContain('http-trusted.conf');

    const cases: Array<[string, string, RegExp]> = [
      ['garbage', 'nonsense', /is not a PEM certificate/],
      [good.cert, readFileSync(join(dir, 'other.key'), 'utf8'), /does not match/],
      [good.cert, 'not a key', /is not a PEM private key/],
    ];
    for (const [cert, key, reason] of cases) {
      operator(cert, key);
      const r = run('select');
      expect(r.code).toBe(0);
      expect(status().source).toBe('self');
      expect(status().reason).toMatch(reason);
      expect(r.stderr).toMatch(reason);
      expect(readFileSync(join(state(), 'nginx', 'http.conf'), 'utf8')).toContain('http-self.conf');
    }
    rmSync(join(op(), 'privkey.pem'));
    run('select');
    expect(status().reason).toMatch(/privkey\.pem does not exist/);
  });

  it('says why there is no ACME certificate, and refuses a public host that is no DNS name', () => {
    writeFileSync(join(dir, 'streambox.env'), 'STREAMBOX_PUBLIC_HOST=rooms.example.test\n');
    run('select');
    expect(status()).toMatchObject({ source: 'self', reason: expect.stringMatching(/^ACME: no ACME certificate for rooms\.example\.test yet/) });
    writeFileSync(join(dir, 'streambox.env'), 'STREAMBOX_PUBLIC_HOST="192.0.2.7"\n');
    run('select');
    expect(status().reason).toMatch(/is not a DNS name/);
    const acme = run('acme');
    expect(acme.code).not.toBe(0);
    expect(acme.stderr).toMatch(/is not a DNS name/);
  });

  it('answers unknown commands with its usage', () => {
    const r = run('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/streambox-tls select/);
  });
});
