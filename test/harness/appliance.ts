/**
 * The appliance for end-to-end tests, booted exactly as an operator boots it: `image/appliance up`
 * (cached root built by provisioning/, systemd-nspawn), with its own state directory.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { execFileSync } from 'node:child_process';
import type { PeerCertificate } from 'node:tls';
import { REPO_ROOT, requireRoot, runCommand, type ExecResult } from './container.js';

const APPLIANCE = join(REPO_ROOT, 'image', 'appliance');
const SBX = join(REPO_ROOT, 'image', 'container', 'sbx');

export interface Appliance {
  /** Plain HTTP on loopback (a secure context; every route works there in every TLS mode). */
  baseUrl: string;
  /** HTTPS on this machine's first non-loopback address, as `image/appliance up` prints it. */
  httpsUrl: string;
  /** Plain HTTP on that address (what a participant without the CA uses). */
  httpUrl: string;
  /** That address (IPv4). */
  address: string;
  httpPort: number;
  httpsPort: number;
  /** Host path of the appliance CA's certificate (/var/lib/streambox/tls/ca/ca.crt inside). */
  caPemPath: string;
  /** Host path of /var/lib/streambox/tls (status.json, active/, ca/). */
  tlsStateDir: string;
  /** Host path bound at /etc/streambox/tls: drop an operator certificate here. */
  operatorTlsDir: string;
  adminPassword: string;
  stateDir: string;
  /** Host path of the container's /etc/streambox/rooms (bound in). */
  roomsDir: string;
  /** Host path of a file inside the running container. */
  hostPath(guestPath: string): Promise<string>;
  exec(cmd: string[]): Promise<ExecResult>;
  /** Logs in and returns the admin cookie. */
  login(): Promise<string>;
  /** Powers the container off and boots it again on the same state (`image/appliance down`, `up`). */
  reboot(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * This machine's non-loopback IPv4 address (the container shares the host's network): the one on
 * the interface with the default route, as `image/appliance up` prints it (not a veth a test harness
 * may have added), else the first.
 */
export function machineAddress(): string {
  const dev = /\bdev (\S+)/.exec(execFileSync('ip', ['-4', 'route', 'show', 'default'], { encoding: 'utf8' }))?.[1];
  const onDefault = dev ? networkInterfaces()[dev]?.find((a) => a.family === 'IPv4' && !a.internal) : undefined;
  if (onDefault) return onDefault.address;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address');
}

export interface HttpsResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  peer: PeerCertificate;
}

/** An HTTPS request that trusts exactly `ca` (PEM); rejects on any verification error. */
export function httpsGet(url: string, opts: { ca: string | Buffer; method?: string; headers?: Record<string, string>; body?: string; servername?: string; timeoutMs?: number }): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: opts.method ?? 'GET', ca: opts.ca, headers: opts.headers, agent: false, timeout: opts.timeoutMs ?? 10_000, ...(opts.servername ? { servername: opts.servername } : {}) }, (res) => {
      const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate(true);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peer }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * `dataDiskMiB`: the appliance's /var/lib/streambox on a filesystem of its own of that size (a
 * tmpfs mounted at STATE/var-lib before the boot), for the full-disk fault.
 */
export async function bootAppliance(opts: { port: number; httpsPort?: number; name?: string; dataDiskMiB?: number }): Promise<Appliance> {
  requireRoot();
  const stateDir = await mkdtemp(join(tmpdir(), 'sbx-appliance-'));
  const dataDisk = opts.dataDiskMiB ? join(stateDir, 'var-lib') : null;
  if (dataDisk) {
    await mkdir(dataDisk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.dataDiskMiB}m,mode=0700`, 'tmpfs', dataDisk]);
  }
  const httpsPort = opts.httpsPort ?? 8443;
  const env = { ...process.env, STREAMBOX_APPLIANCE_DIR: stateDir, STREAMBOX_HTTP_PORT: String(opts.port), STREAMBOX_HTTPS_PORT: String(httpsPort), STREAMBOX_APPLIANCE_NAME: opts.name ?? `sbx-e2e-${process.pid}` };
  const stop = async () => {
    await runCommand(APPLIANCE, ['down'], { env });
    if (dataDisk) execFileSync('umount', [dataDisk]);
    await rm(stateDir, { recursive: true, force: true });
  };
  const boot = async () => {
    const up = await runCommand(APPLIANCE, ['up'], { env, echo: true });
    if (up.code === 0) return;
    const console = await readFile(join(stateDir, 'console.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`image/appliance up failed (${up.code}):\n${up.stderr.slice(-4000)}\n--- console ---\n${console.slice(-4000)}`);
  };
  await boot();
  const adminPassword = (await readFile(join(stateDir, 'var-lib', 'initial-admin-password'), 'utf8')).trim();
  const baseUrl = `http://127.0.0.1:${opts.port}`;
  const address = machineAddress();
  return {
    baseUrl,
    httpsUrl: `https://${address}:${httpsPort}`,
    httpUrl: `http://${address}:${opts.port}`,
    address,
    httpPort: opts.port,
    httpsPort,
    caPemPath: join(stateDir, 'var-lib', 'tls', 'ca', 'ca.crt'),
    tlsStateDir: join(stateDir, 'var-lib', 'tls'),
    operatorTlsDir: join(stateDir, 'tls'),
    adminPassword,
    stateDir,
    roomsDir: join(stateDir, 'rooms'),
    async hostPath(guestPath) {
      // The container's PID 1 is the nspawn process's child; its /proc/PID/root is the container's /.
      const nspawn = (await readFile(join(stateDir, 'nspawn.pid'), 'utf8')).trim();
      const children = (await readFile(`/proc/${nspawn}/task/${nspawn}/children`, 'utf8')).trim().split(/\s+/);
      return `/proc/${children[0]}/root${guestPath}`;
    },
    exec: (cmd) => runCommand(SBX, ['exec', stateDir, ...cmd]),
    async login() {
      const res = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: adminPassword }) });
      if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
      return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    },
    async reboot() {
      const down = await runCommand(APPLIANCE, ['down'], { env });
      if (down.code !== 0) throw new Error(`image/appliance down failed (${down.code}): ${down.stderr.slice(-2000)}`);
      await boot();
    },
    stop,
  };
}
