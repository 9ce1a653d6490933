/**
 * The harness for tests from another host, checked on a throwaway server before anything relies on
 * it: a network namespace reaches the host only at its veth address (not at the host's loopback),
 * a browser in it trusts exactly the CAs put in its own NSS store, and what a page can use follows
 * from that: trusted HTTPS is a secure context with WebCodecs, an untrusted certificate is refused
 * (ERR_CERT_AUTHORITY_INVALID: the warning a participant would see), plain HTTP from another host
 * is no secure context (no WebCodecs, MSE still there). Teardown leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchInNetns, type ParticipantBrowser } from '../harness/browser.js';
import { createNetns, leftovers, type Netns } from '../harness/netns.js';
import { makeCa, makeServerCert, servedChain, chainVerifies, readCert } from '../support/tls.js';

const PAGE = '<!doctype html><meta charset="utf-8"><title>probe</title><p>probe</p>';
const probe = () => ({ secure: isSecureContext, videoDecoder: typeof VideoDecoder, audioDecoder: typeof AudioDecoder, mediaSource: typeof MediaSource });

describe('another host: namespace, veth and a browser with its own trust store', () => {
  let ns: Netns;
  let dir: string;
  let https: Server;
  let http: Server;
  let loopbackOnly: Server;
  let trusted: ParticipantBrowser;
  let untrusted: ParticipantBrowser;
  const port = (s: Server) => (s.address() as AddressInfo).port;

  beforeAll(async () => {
    ns = await createNetns('participant');
    dir = await mkdtemp(join(tmpdir(), 'sbx-netns-test-'));
    const ca = await makeCa(dir, 'probe');
    const leaf = await makeServerCert(ca, dir, 'probe-server', { dns: ['probe.sbx'], ip: [ns.hostAddress] });
    const handler = (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    https = createHttps({ cert: await readFile(leaf.cert), key: await readFile(leaf.key) }, handler);
    http = createHttp(handler);
    loopbackOnly = createHttp(handler);
    await Promise.all([
      new Promise<void>((r) => https.listen(0, ns.hostAddress, () => r())),
      new Promise<void>((r) => http.listen(0, ns.hostAddress, () => r())),
      new Promise<void>((r) => loopbackOnly.listen(0, '127.0.0.1', () => r())),
    ]);
    trusted = await launchInNetns(ns, { trust: [{ name: 'probe CA', pem: ca.cert }] });
    untrusted = await launchInNetns(ns);
  }, 60_000);

  afterAll(async () => {
    await trusted?.close();
    await untrusted?.close();
    for (const s of [https, http, loopbackOnly]) await new Promise((r) => (s ? s.close(r) : r(undefined)));
    await ns?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the namespace reaches the host at its veth address, not at the host loopback, and has its own /etc/hosts', async () => {
    expect(ns.hostAddress).toMatch(/^198\.1[89]\./);
    const ok = await ns.exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://${ns.hostAddress}:${port(http)}/`]);
    expect(ok.stdout).toBe('200');
    const lo = await ns.exec(['curl', '-sS', '-m', '3', `http://127.0.0.1:${port(loopbackOnly)}/`]);
    expect(lo.code).not.toBe(0);
    await ns.setHosts({ 'probe.sbx': ns.hostAddress });
    const byName = await ns.exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://probe.sbx:${port(http)}/`]);
    expect(byName.stdout).toBe('200');
    // The name is the namespace's only: the host does not resolve it.
    expect((await readFile('/etc/hosts', 'utf8')).includes('probe.sbx')).toBe(false);
  });

  it('the server presents a chain that verifies against its CA (read back with openssl from the namespace)', async () => {
    const chain = await servedChain(ns, `${ns.hostAddress}:${port(https)}`);
    const ca = await readCert(join(dir, 'probe.crt'));
    expect(chainVerifies(chain, ca)).toBe(true);
    expect(chain[0]!.checkIP(ns.hostAddress)).toBe(ns.hostAddress);
  });

  it('a browser that trusts the CA loads the HTTPS page: a secure context with WebCodecs', async () => {
    const page = await trusted.browser.newPage();
    const res = await page.goto(`https://${ns.hostAddress}:${port(https)}/`);
    expect(res?.status()).toBe(200);
    expect(await page.evaluate(probe)).toEqual({ secure: true, videoDecoder: 'function', audioDecoder: 'function', mediaSource: 'function' });
    // The same page by name (resolved through the namespace's /etc/hosts).
    await page.goto(`https://probe.sbx:${port(https)}/`);
    expect(await page.evaluate(() => isSecureContext)).toBe(true);
    await page.close();
  });

  it('a browser that does not trust the CA is refused with a certificate error', async () => {
    const page = await untrusted.browser.newPage();
    await expect(page.goto(`https://${ns.hostAddress}:${port(https)}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    await page.close();
  });

  it('plain HTTP from another host is no secure context: no WebCodecs, MSE still there', async () => {
    const page = await untrusted.browser.newPage();
    await page.goto(`http://${ns.hostAddress}:${port(http)}/`);
    expect(await page.evaluate(probe)).toEqual({ secure: false, videoDecoder: 'undefined', audioDecoder: 'undefined', mediaSource: 'function' });
    await page.close();
  });

  it('teardown removes the namespace, the link, /etc/netns/NAME and the processes inside', async () => {
    const other = await createNetns('short-lived');
    const sleeper = other.spawn(['sleep', '600']);
    await new Promise((r) => setTimeout(r, 200));
    expect(leftovers(other)).toHaveLength(3);
    await other.teardown();
    expect(leftovers(other)).toEqual([]);
    expect(sleeper.exitCode !== null || sleeper.signalCode !== null).toBe(true);
  });
});
