/**
 * ACME for real: the appliance obtains its certificate from Debian's pebble (Let's Encrypt's test
 * CA) running on another host (its own network namespace, "the CA host"), by HTTP-01 through the
 * appliance's nginx, for the test name streambox.test, which the CA host and the participant's
 * host resolve (their /etc/netns hosts) to this machine. Then, from the participant's host:
 * nginx serves a chain that verifies against pebble's root, a browser trusting that root (and
 * nothing else) loads the page without error, plain HTTP redirects to HTTPS except the ACME
 * challenge, HSTS is on; a forced renewal serves a new certificate; an unreachable ACME server
 * keeps the current certificate and records a retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootAppliance, type Appliance } from '../harness/appliance.js';
import { launchInNetns, type ParticipantBrowser } from '../harness/browser.js';
import { REPO_ROOT } from '../harness/container.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { startPebble, type Pebble } from '../harness/pebble.js';
import { curlFrom, HTTP_PORT, HTTPS_PORT, tlsStatus, varLib } from '../support/applianceTls.js';
import { eventually } from '../support/eventually.js';
import { chainVerifies, servedChain } from '../support/tls.js';

const NAME = 'streambox.test';
const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

describe('ACME: a certificate from pebble on another host, served by nginx, renewed, kept on failure', () => {
  let dir: string;
  let participant: Netns;
  let pebble: Pebble;
  let appliance: Appliance;
  let root: X509Certificate;
  let rootPem: string;
  let browser: ParticipantBrowser;
  let firstSerial: string;

  const sh = async (script: string) => {
    const r = await appliance.exec(['sh', '-c', script]);
    if (r.code !== 0) throw new Error(`in the appliance: ${script}\n(${r.code}) ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  /** Runs streambox-tls inside; on failure shows its output and pebble's log. */
  const streamboxTls = async (args: string[], expectOk = true) => {
    const r = await appliance.exec(['streambox-tls', ...args]);
    if (expectOk && r.code !== 0) throw new Error(`streambox-tls ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}\n--- pebble ---\n${pebble.log().slice(-3000)}`);
    return r;
  };
  const served = () => servedChain(participant, `${participant.hostAddress}:${HTTPS_PORT}`, NAME);
  const acmeState = async () => Object.fromEntries((await readFile(varLib(appliance, 'acme', 'state'), 'utf8')).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'sbx-acme-'));
    participant = await createNetns('participant');
    await participant.setHosts({ [NAME]: participant.hostAddress });
    // pebble's VA fetches http://streambox.test:HTTP_PORT/.well-known/acme-challenge/... from the CA host.
    pebble = await startPebble({ dir, names: [NAME], httpPort: HTTP_PORT });
    rootPem = await pebble.root();
    root = new X509Certificate(rootPem);
    await writeFile(join(dir, 'pebble-root.pem'), rootPem);
    appliance = await bootAppliance({ port: HTTP_PORT });
    // pebble's own TLS CA, for certbot to trust the directory (STATE/var-lib is /var/lib/streambox).
    await mkdir(varLib(appliance, 'acme-test'), { recursive: true });
    await copyFile(pebble.tlsCa.cert, varLib(appliance, 'acme-test', 'pebble-tls-ca.crt'));
    await sh(`cat >> /etc/streambox/streambox.env <<'EOF'
STREAMBOX_PUBLIC_HOST=${NAME}
STREAMBOX_ACME_SERVER=${pebble.directory}
STREAMBOX_ACME_EMAIL=ops@${NAME}
STREAMBOX_ACME_CA_BUNDLE=/var/lib/streambox/acme-test/pebble-tls-ca.crt
EOF`);
    browser = await launchInNetns(participant, { trust: [{ name: 'pebble root', pem: join(dir, 'pebble-root.pem') }] });
  }, 1_800_000);

  afterAll(async () => {
    await browser?.close();
    await appliance?.stop();
    await pebble?.stop();
    await participant?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('the appliance reaches pebble on the CA host (its directory, over TLS it trusts by the configured bundle)', async () => {
    // With certbot's own Python (the appliance has no curl), trusting only the configured bundle.
    const py = 'import ssl,sys,urllib.request; c=ssl.create_default_context(cafile=sys.argv[2]); print(urllib.request.urlopen(sys.argv[1], context=c, timeout=5).read().decode())';
    const out = await sh(`python3 -c '${py}' ${pebble.directory} /var/lib/streambox/acme-test/pebble-tls-ca.crt`);
    expect(JSON.parse(out)).toHaveProperty('newOrder');
  });

  it('streambox-tls acme obtains a certificate for the public name by HTTP-01 through nginx; the status says acme', async () => {
    // An earlier kick (the public host was set) may be running certbot already: let it finish.
    await appliance.exec(['sh', '-c', 'for i in $(seq 60); do systemctl -q is-active streambox-acme.service || exit 0; sleep 1; done']);
    const first = await streamboxTls(['acme'], false);
    // The one expected race: the background kick's certbot held certbot's lock.
    if (first.code !== 0 && /another instance of certbot/i.test(first.stderr + first.stdout)) await streamboxTls(['acme', '--force']);
    else if (first.code !== 0) throw new Error(`streambox-tls acme failed (${first.code}):\n${first.stderr}${first.stdout}\n--- pebble ---\n${pebble.log().slice(-3000)}`);
    const status = await tlsStatus(appliance);
    expect(status.source).toBe('acme');
    expect(status.names.some((n) => n === NAME || n === `DNS:${NAME}`)).toBe(true);
    // pebble's VA fetched the token from nginx at the public name and found it right.
    expect(pebble.log()).toContain(`Attempting to validate w/ HTTP: http://${NAME}:${HTTP_PORT}/.well-known/acme-challenge/`);
    expect(pebble.log()).toMatch(/set VALID by completed challenge/);
  }, 180_000);

  it("nginx serves the new chain, which verifies against pebble's root, for the public name", async () => {
    const chain = await eventually('nginx to serve the ACME certificate', served, (c) => chainVerifies(c, root), 15_000);
    expect(chain[0]!.checkHost(NAME)).toBe(NAME);
    firstSerial = chain[0]!.serialNumber;
    expect(chain[0]!.fingerprint256.replace(/:/g, '').toLowerCase()).toBe((await tlsStatus(appliance)).fingerprintSha256.replace(/[^0-9a-f]/gi, '').toLowerCase());
  });

  it("a browser that trusts only pebble's root loads https://streambox.test without error, with HSTS", async () => {
    const page = await browser.browser.newPage();
    const res = await page.goto(`https://${NAME}:${HTTPS_PORT}/`);
    expect(res?.status()).toBe(200);
    expect(await page.evaluate(() => isSecureContext)).toBe(true);
    expect(res?.headers()['strict-transport-security']).toMatch(/max-age=\d{7,}/);
    await page.screenshot({ path: join(SHOTS, 'acme-dashboard-streambox-test.png') });
    await page.close();
  });

  it('plain HTTP redirects to HTTPS, but for the ACME challenge path', async () => {
    const room = await curlFrom(participant, `http://${NAME}:${HTTP_PORT}/rooms/abc?x=1`);
    expect([301, 308]).toContain(room.status);
    expect(room.headers.location?.[0]).toBe(`https://${NAME}:${HTTPS_PORT}/rooms/abc?x=1`);
    const dash = await curlFrom(participant, `http://${NAME}:${HTTP_PORT}/`);
    expect(dash.headers.location?.[0]).toBe(`https://${NAME}:${HTTPS_PORT}/`);
    // A token where certbot's webroot puts them is served as is over plain HTTP.
    await sh('d=${STREAMBOX_ACME_WEBROOT:-/run/streambox-acme}/.well-known/acme-challenge; mkdir -p $d && echo sbx-probe-token > $d/sbx-probe');
    const challenge = await curlFrom(participant, `http://${NAME}:${HTTP_PORT}/.well-known/acme-challenge/sbx-probe`);
    expect(challenge.status).toBe(200);
    expect(challenge.body.trim()).toBe('sbx-probe-token');
    await sh('rm -f ${STREAMBOX_ACME_WEBROOT:-/run/streambox-acme}/.well-known/acme-challenge/sbx-probe');
  });

  it('streambox-tls acme --force renews once: nginx then serves a new certificate (another serial)', async () => {
    await streamboxTls(['acme', '--force']);
    const chain = await eventually('nginx to serve the renewed certificate', served, (c) => c[0]!.serialNumber !== firstSerial, 15_000);
    expect(chainVerifies(chain, root)).toBe(true);
    expect((await tlsStatus(appliance)).source).toBe('acme');
    const page = await browser.browser.newPage();
    expect((await page.goto(`https://${NAME}:${HTTPS_PORT}/`))?.status()).toBe(200);
    await page.close();
  }, 180_000);

  it('with the ACME server unreachable, a renewal fails, the current certificate stays and a retry is recorded', async () => {
    const before = (await served())[0]!.serialNumber;
    await pebble.stopServer();
    const r = await streamboxTls(['acme', '--force'], false);
    expect(r.code).not.toBe(0);
    const state = await acmeState();
    expect(Number(state.failures)).toBeGreaterThanOrEqual(1);
    expect(Number(state.next_attempt)).toBeGreaterThan(Date.now() / 1000);
    expect(state.last_error ?? '').not.toBe('');
    // Same certificate, still valid and still served; the status still says acme.
    const chain = await served();
    expect(chain[0]!.serialNumber).toBe(before);
    expect(chainVerifies(chain, root)).toBe(true);
    expect((await tlsStatus(appliance)).source).toBe('acme');
    // Without --force (what the timer runs) nothing is attempted: the current certificate is far
    // from renewal, and a due one would wait for next_attempt.
    const again = await streamboxTls(['acme'], false);
    expect(again.code).toBe(0);
    expect(again.stderr + again.stdout).toMatch(/nothing to do|waiting/i);
    expect((await acmeState()).failures).toBe(state.failures);
  }, 180_000);
});
