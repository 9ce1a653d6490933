/**
 * The appliance's TLS as tests see it from outside: its ports, the status file streambox-tls
 * writes, its CA, operator certificates dropped in, and HTTP exchanges (from this host without
 * following redirects, and from another host: curl inside a namespace).
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Appliance } from '../harness/appliance.js';
import type { Netns } from '../harness/netns.js';

export const HTTP_PORT = Number(process.env.STREAMBOX_HTTP_PORT ?? 8800);
export const HTTPS_PORT = Number(process.env.STREAMBOX_HTTPS_PORT ?? 8443);

export interface TlsStatus {
  source: 'operator' | 'acme' | 'self';
  reason: string | null;
  names: string[];
  notAfter: string;
  fingerprintSha256: string;
  caFingerprintSha256: string | null;
}

/** Host path of the appliance's /var/lib/streambox/X (bound from STATE/var-lib). */
export const varLib = (appliance: Appliance, ...rel: string[]) => join(appliance.stateDir, 'var-lib', ...rel);

export async function tlsStatus(appliance: Appliance): Promise<TlsStatus> {
  const path = varLib(appliance, 'tls', 'status.json');
  const text = await readFile(path, 'utf8').catch((e) => {
    throw new Error(`no TLS status at ${path} (does the appliance have streambox-tls?): ${e}`);
  });
  return JSON.parse(text) as TlsStatus;
}

export const applianceCaPath = (appliance: Appliance) => varLib(appliance, 'tls', 'ca', 'ca.crt');

/** Whether the status names IP address `ip` ("IP:a.b.c.d" or the bare address). */
export const namesAddress = (status: TlsStatus, ip: string) => status.names.some((n) => n === ip || n === `IP:${ip}` || n === `IP Address:${ip}`);

/** Makes sure the served certificate names `ip` (a namespace made after boot: `streambox-tls select`). */
export async function ensureCertNames(appliance: Appliance, ip: string): Promise<TlsStatus> {
  let status = await tlsStatus(appliance);
  if (namesAddress(status, ip)) return status;
  const r = await appliance.exec(['streambox-tls', 'select']);
  status = await tlsStatus(appliance);
  if (!namesAddress(status, ip)) throw new Error(`the appliance's certificate does not name ${ip} even after streambox-tls select (${r.code}: ${r.stderr}); names: ${status.names.join(', ')}`);
  return status;
}

export interface CurlResult {
  code: number;
  status: number;
  headers: Record<string, string[]>;
  body: string;
  stderr: string;
}

/** One HTTP exchange from inside `ns` (no redirects followed). */
export async function curlFrom(ns: Netns, url: string, opts: { method?: string; body?: string; headers?: Record<string, string>; cacert?: string; resolve?: string } = {}): Promise<CurlResult> {
  const dir = await mkdtemp(join(tmpdir(), 'sbx-curl-'));
  try {
    // Headers to stdout, the body to a file (curl 7.88 crashed writing headers to a piped /dev/stderr).
    const args = ['curl', '-sS', '-m', '10', '-D', '-', '-o', join(dir, 'body'), '-X', opts.method ?? 'GET'];
    for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}: ${v}`);
    if (opts.body !== undefined) args.push('--data-binary', opts.body);
    if (opts.cacert) args.push('--cacert', opts.cacert);
    if (opts.resolve) args.push('--resolve', opts.resolve);
    args.push(url);
    const r = await ns.exec(args);
    const blocks = r.stdout.split(/\r?\n\r?\n/).filter((b) => /^HTTP\//.test(b));
    const last = blocks.at(-1) ?? '';
    const headers: Record<string, string[]> = {};
    for (const line of last.split(/\r?\n/).slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) (headers[line.slice(0, i).trim().toLowerCase()] ??= []).push(line.slice(i + 1).trim());
    }
    const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(last)?.[1] ?? 0);
    if (status === 0) throw new Error(`no HTTP answer from ${url} in ${ns.name} (curl exit ${r.code}): ${r.stderr.slice(-1000)}`);
    const body = await readFile(join(dir, 'body'), 'utf8').catch(() => '');
    return { code: r.code, status, headers, body, stderr: r.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Plain HTTP without following redirects. A GET whose kept-alive connection an nginx worker
 * closed as it retired (a reload the test caused a moment before) is sent once more, as a
 * browser does with an idempotent request (RFC 9110, 9.2.2).
 */
export async function plain(url: string, init: RequestInit = {}) {
  const go = () => fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  try {
    return await go();
  } catch (err) {
    const code = ((err as Error).cause as { code?: string } | undefined)?.code;
    if ((init.method ?? 'GET') !== 'GET' || code !== 'UND_ERR_SOCKET') throw err;
    return go();
  }
}

/** Writes an operator pair into /etc/streambox/tls the way an operator would: key first, then the certificate. */
export function dropOperatorPair(appliance: Appliance, fullchain: string, privkey: string): void {
  for (const [name, text] of [['privkey.pem', privkey], ['fullchain.pem', fullchain]] as const) {
    const tmp = join(appliance.operatorTlsDir, `.${name}.tmp`);
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, join(appliance.operatorTlsDir, name));
  }
}

export function removeOperatorPair(appliance: Appliance): void {
  for (const name of ['fullchain.pem', 'privkey.pem']) rmSync(join(appliance.operatorTlsDir, name), { force: true });
}
