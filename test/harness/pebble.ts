/**
 * A real ACME server for tests: Debian's `pebble` (Let's Encrypt's test CA) on its own "CA host",
 * a network namespace (test/harness/netns.ts) the appliance reaches at `pebble.address`.
 *
 * Pebble needs its own TLS certificate for the directory listener (made here with openssl, signed
 * by a throwaway CA: `tlsCa`, what an ACME client must trust to talk to it). It validates HTTP-01
 * challenges by fetching http://NAME:httpPort/.well-known/acme-challenge/...; NAME resolves through
 * the CA host's /etc/hosts (`ip netns exec` binds /etc/netns/NAME/hosts; pebble's Go resolver reads
 * it), which maps the names in `names` to the CA host's host-side address: this machine, where the
 * appliance's nginx listens. Issued certificates chain to a root pebble makes at every start,
 * fetched from its management listener (/roots/0).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTools, runCommand } from './container.js';
import { createNetns, type Netns } from './netns.js';
import { makeCa, makeServerCert, type KeyPair } from '../support/tls.js';

export interface Pebble {
  ns: Netns;
  /** The directory URL (STREAMBOX_ACME_SERVER). */
  directory: string;
  /** The CA that signed pebble's own TLS certificate (STREAMBOX_ACME_CA_BUNDLE). */
  tlsCa: KeyPair;
  /** Pebble's root for issued certificates (PEM), fetched from its management listener. */
  root(): Promise<string>;
  /** Its log so far (stdout + stderr). */
  log(): string;
  /** Stops pebble only (the CA host stays): an unreachable ACME server. */
  stopServer(): Promise<void>;
  /** Stops pebble and removes the CA host (unless it was given in opts.ns). */
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** Scratch directory for its certificate and config. */
  dir: string;
  /** Names the CA host resolves to this machine (for HTTP-01). */
  names: string[];
  /** Port pebble's VA fetches challenges on (the appliance's plain HTTP port). */
  httpPort: number;
  /** Use an existing namespace instead of making one. */
  ns?: Netns;
}

export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  requireTools('The ACME test (pebble)', ['pebble', 'openssl', 'curl', 'ip'], 'pebble openssl curl iproute2');
  const ns = opts.ns ?? (await createNetns('ca'));
  await ns.setHosts({ 'pebble.sbx': ns.address, ...Object.fromEntries(opts.names.map((n) => [n, ns.hostAddress])) });
  const tlsCa = await makeCa(opts.dir, 'pebble-tls');
  const tls = await makeServerCert(tlsCa, opts.dir, 'pebble-listener', { dns: ['pebble.sbx', 'localhost'], ip: [ns.address, '127.0.0.1'] });
  const config = join(opts.dir, 'pebble-config.json');
  await writeFile(config, JSON.stringify({
    pebble: {
      listenAddress: `${ns.address}:14000`,
      managementListenAddress: `${ns.address}:15000`,
      certificate: tls.cert,
      privateKey: tls.key,
      httpPort: opts.httpPort,
      tlsPort: 5001,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
    },
  }, null, 2));
  // No sleeps before validating, and no deliberately rejected nonces (pebble rejects 5% by default
  // to exercise clients' retries; that would only make this test flaky, not certbot better tested).
  const env = { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' };
  const child = ns.spawn(['pebble', '-config', config], { env });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const directory = `https://${ns.address}:14000/dir`;
  const curl = (url: string) => runCommand('curl', ['-sS', '--fail', '-m', '5', '--cacert', tlsCa.cert, url]);
  const stopServer = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
  };
  const stop = async () => {
    await stopServer();
    if (!opts.ns) await ns.teardown();
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await curl(directory);
    if (r.code === 0 && r.stdout.includes('newOrder')) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`pebble did not answer at ${directory}: ${r.stderr}\n--- pebble ---\n${out.slice(-3000)}`);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  return {
    ns,
    directory,
    tlsCa,
    async root() {
      const r = await curl(`https://${ns.address}:15000/roots/0`);
      if (r.code !== 0) throw new Error(`pebble's root: ${r.stderr}`);
      return r.stdout;
    },
    log: () => out,
    stopServer,
    stop,
  };
}

/** The PEM of a file, for copying a CA into the appliance. */
export const pem = (path: string) => readFile(path, 'utf8');
