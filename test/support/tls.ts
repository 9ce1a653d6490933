/**
 * Certificates for tests, made with openssl: a CA and server certificates it signs (for the
 * harness's own HTTPS server, and for pebble's directory listener), and reading back what a
 * server serves (the chain from `openssl s_client`, checked with node's X509Certificate).
 */
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../harness/container.js';
import type { Netns } from '../harness/netns.js';

export interface KeyPair {
  cert: string;
  key: string;
}

async function openssl(args: string[]): Promise<string> {
  const r = await runCommand('openssl', args);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A self-signed CA (EC P-256) in DIR/NAME.crt and DIR/NAME.key. */
export async function makeCa(dir: string, name: string): Promise<KeyPair> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name} test CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert, key };
}

/** A server certificate signed by `ca` for DNS names and IP addresses, in DIR/NAME.{crt,key}. */
export async function makeServerCert(ca: KeyPair, dir: string, name: string, sans: { dns?: string[]; ip?: string[] }): Promise<KeyPair> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const alt = [...(sans.dns ?? []).map((d) => `DNS:${d}`), ...(sans.ip ?? []).map((i) => `IP:${i}`)].join(',');
  await writeFile(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${alt}\n`);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${sans.dns?.[0] ?? sans.ip?.[0] ?? name}`]);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { cert, key };
}

/** Splits a PEM bundle into its certificates. */
export function pemCerts(text: string): X509Certificate[] {
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
}

/** The chain a TLS server presents, as seen from inside `ns` (SNI = servername). */
export async function servedChain(ns: Netns, connect: string, servername?: string): Promise<X509Certificate[]> {
  const args = ['openssl', 's_client', '-connect', connect, '-showcerts'];
  if (servername) args.push('-servername', servername);
  const r = await ns.exec(['sh', '-c', `${args.map((a) => `'${a}'`).join(' ')} </dev/null 2>/dev/null`]);
  const chain = pemCerts(r.stdout);
  if (chain.length === 0) throw new Error(`no certificate from ${connect} in ${ns.name}: ${r.stdout.slice(-500)}${r.stderr.slice(-500)}`);
  return chain;
}

/** Whether `chain` (leaf first) leads to `root` through valid signatures and dates. */
export function chainVerifies(chain: X509Certificate[], root: X509Certificate, now = new Date()): boolean {
  const all = [...chain, root];
  for (let i = 0; i < chain.length; i++) {
    const cert = all[i]!;
    if (new Date(cert.validFrom) > now || new Date(cert.validTo) < now) return false;
    // The next certificate in the list that issued this one (the served chain may stop before the root).
    const issuer = all.slice(i + 1).find((c) => cert.checkIssued(c) && cert.verify(c.publicKey));
    if (!issuer) return false;
    if (issuer.fingerprint256 === root.fingerprint256) return true;
  }
  return false;
}

export async function readCert(path: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(path));
}
