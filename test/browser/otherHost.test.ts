/**
 * Participants on another host, as real participants are: a browser in a network namespace
 * (test/harness/netns.ts) reaching the booted appliance at this machine's non-loopback address,
 * never at 127.0.0.1 (a secure context even on plain HTTP, which hid that other machines got no
 * WebCodecs). The appliance runs on its own CA (no operator certificate, no ACME).
 * - HTTPS, with the appliance's CA trusted the way a person trusts it (downloaded from /ca.crt,
 *   fingerprint compared, put in the browser's NSS store): dashboard login and a new room, the
 *   room page on the WebCodecs fast path with sound, the driver's clicks land; admin cookie Secure.
 * - HTTPS without trust: the certificate error (the warning path README documents).
 * - Plain HTTP: the room page picks the MSE fast path by itself and plays; the dashboard and the
 *   admin login are refused (redirected to HTTPS), and the admin cookie never travels in clear.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { bootAppliance, type Appliance } from '../harness/appliance.js';
import { launchInNetns, type ParticipantBrowser } from '../harness/browser.js';
import { REPO_ROOT } from '../harness/container.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { applianceCaPath, curlFrom, ensureCertNames, HTTP_PORT, HTTPS_PORT, type TlsStatus } from '../support/applianceTls.js';
import { eventually } from '../support/eventually.js';
import { INPUT_BUTTONS, startPageServer, type PageServer } from '../support/pageServer.js';
import { enterRoom, expectClickLands, expectPlaying, shownDelayMs, shownPath, soundLevel, statsText, statsWithDelay } from '../support/roomPage.js';
import { chainVerifies, readCert, servedChain } from '../support/tls.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const hex = (fp: string | null | undefined) => (fp ?? '').replace(/[^0-9a-f]/gi, '').toLowerCase();

describe('participants on another host: HTTPS with the appliance CA trusted, without it, and plain HTTP', () => {
  let participant: Netns;
  let appliance: Appliance;
  let pages: PageServer;
  let dir: string;
  let status: TlsStatus;
  let trusted: ParticipantBrowser;
  let untrusted: ParticipantBrowser;
  let admin: Page;
  let https: string;
  let http: string;
  let toneRoom: string;
  let inputRoom: string;
  const tag = `other-host-${Date.now()}`;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'sbx-other-host-'));
    pages = await startPageServer();
    // Before the boot, so that the appliance's own certificate names the address this host dials.
    participant = await createNetns('participant');
    https = `https://${participant.hostAddress}:${HTTPS_PORT}`;
    http = `http://${participant.hostAddress}:${HTTP_PORT}`;
    appliance = await bootAppliance({ port: HTTP_PORT });
    status = await ensureCertNames(appliance, participant.hostAddress);
    // The participant downloads the CA over plain HTTP and trusts it after comparing its
    // fingerprint with the one the appliance shows (console banner, dashboard, status file).
    const ca = await curlFrom(participant, `${http}/ca.crt`);
    expect(ca.status).toBe(200);
    const downloaded = join(dir, 'appliance-ca.crt');
    await writeFile(downloaded, ca.body);
    expect(hex(new X509Certificate(ca.body).fingerprint256)).toBe(hex(status.caFingerprintSha256));
    trusted = await launchInNetns(participant, { trust: [{ name: 'streambox appliance CA', pem: downloaded }] });
    untrusted = await launchInNetns(participant);
  }, 1_800_000);

  afterAll(async () => {
    await trusted?.close();
    await untrusted?.close();
    await appliance?.stop();
    await pages?.close();
    await participant?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it("the appliance serves its own CA's certificate for the address participants dial, without HSTS", async () => {
    expect(status.source).toBe('self');
    const chain = await servedChain(participant, `${participant.hostAddress}:${HTTPS_PORT}`);
    expect(chain[0]!.checkIP(participant.hostAddress)).toBe(participant.hostAddress);
    expect(chainVerifies(chain, await readCert(applianceCaPath(appliance)))).toBe(true);
    expect(hex(chain[0]!.fingerprint256)).toBe(hex(status.fingerprintSha256));
    const api = await curlFrom(participant, `${https}/api/tls`, { cacert: applianceCaPath(appliance) });
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ source: 'self' });
    // HSTS would make a browser that once saw the HTTPS page refuse the plain HTTP room links.
    expect(api.headers['strict-transport-security']).toBeUndefined();
  });

  it('without the CA trusted, the browser refuses the HTTPS page: the certificate warning', async () => {
    const page = await untrusted.browser.newPage();
    await expect(page.goto(`${https}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    expect(await page.locator('body').innerText()).toMatch(/not private/i);
    await page.screenshot({ path: join(SHOTS, 'other-host-https-untrusted-warning.png') });
    await page.close();
  });

  it('with the CA trusted, the dashboard logs in over HTTPS with a Secure cookie and creates a room that goes live', async () => {
    const context = await trusted.browser.newContext({ viewport: { width: 1366, height: 768 } });
    admin = await context.newPage();
    await admin.goto(`${https}/`);
    expect(await admin.evaluate(() => isSecureContext)).toBe(true);
    await admin.fill('#password', appliance.adminPassword);
    await admin.click('button[type=submit]');
    await admin.waitForSelector('.page-head');
    const cookie = (await context.cookies()).find((c) => c.name === 'sbx_admin');
    expect(cookie).toMatchObject({ secure: true, httpOnly: true });
    await admin.getByRole('button', { name: /new room/i }).first().click();
    await admin.fill('#nr-name', 'Tone from another host');
    await admin.fill('#nr-startUrl', pages.url('/tone'));
    await admin.click('button[form=new-room-form]');
    const row = admin.locator('.room', { hasText: 'Tone from another host' });
    await row.locator('[data-state="live"]').waitFor({ timeout: 30_000 });
    await admin.screenshot({ path: join(SHOTS, 'other-host-https-dashboard.png') });
    toneRoom = (await row.getAttribute('data-id'))!;
    expect(toneRoom).toMatch(/^[a-z2-7]{24}$/);
    // A second room with the click targets, through the same logged-in browser's API.
    inputRoom = await admin.evaluate(async (startUrl) => {
      const res = await fetch('/api/rooms', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Input room', startUrl }) });
      return ((await res.json()) as { id: string }).id;
    }, pages.url(`/input?tag=${tag}`));
    await eventually('the input page to load in the room', async () => pages.reports(tag), (r) => r.some((e) => e.type === 'loaded'), 30_000);
  }, 120_000);

  it('over HTTPS the room page plays on the WebCodecs fast path, with sound, under a second behind', async () => {
    const p = await enterRoom(trusted.browser, `${https}/rooms/${toneRoom}`, 'Listener', { width: 1280, height: 720 });
    expect(await p.page.evaluate(() => ({ secure: isSecureContext, webCodecs: typeof VideoDecoder }))).toEqual({ secure: true, webCodecs: 'function' });
    await expectPlaying(p.page);
    const text = await statsWithDelay(p.page);
    expect(shownPath(text), text).toBe('fast');
    // A room that just started can run late for its first seconds (platform notes): wait for the edge.
    const settled = await eventually('the delay to settle under a second', () => statsText(p.page), (t) => shownDelayMs(t) < 1000, 20_000);
    expect(shownDelayMs(settled), settled).toBeLessThan(1000);
    expect(await eventually("the tone in the player's sound", () => soundLevel(p.page), (r) => r > 0.02, 15_000)).toBeGreaterThan(0.02);
    await p.page.screenshot({ path: join(SHOTS, 'other-host-https-fast.png') });
    await p.context.close();
  }, 90_000);

  it("over HTTPS the driver's clicks land on the session's buttons at three window sizes", async () => {
    const alice = await enterRoom(trusted.browser, `${https}/rooms/${inputRoom}`, 'Alice', { width: 1366, height: 768 });
    await alice.page.waitForSelector('.room-app.driving.input-on', { timeout: 20_000 });
    await expectPlaying(alice.page);
    expect(shownPath(await statsWithDelay(alice.page))).toBe('fast');
    await alice.page.locator('button[aria-label="Close statistics"]').dispatchEvent('click');
    for (const [i, viewport] of [{ width: 1366, height: 768 }, { width: 1000, height: 900 }, { width: 390, height: 844 }].entries()) {
      await alice.page.setViewportSize(viewport);
      await alice.page.waitForTimeout(300); // the content rect follows resize events
      await expectClickLands(alice.page, pages, tag, INPUT_BUTTONS[i]!);
    }
    await alice.context.close();
  }, 120_000);

  it('over plain HTTP the room page picks the MSE fast path by itself and plays, under a second behind', async () => {
    // The untrusted browser: a participant who never trusted anything and opened the http link.
    const p = await enterRoom(untrusted.browser, `${http}/rooms/${toneRoom}`, 'On plain HTTP', { width: 1280, height: 720 });
    expect(await p.page.evaluate(() => ({ secure: isSecureContext, webCodecs: typeof VideoDecoder, mse: typeof MediaSource }))).toEqual({ secure: false, webCodecs: 'undefined', mse: 'function' });
    await expectPlaying(p.page);
    const text = await statsWithDelay(p.page);
    await p.page.screenshot({ path: join(SHOTS, 'other-host-http-mse.png') });
    expect(shownPath(text), text).toBe('fast-mse');
    // The overlay says why this path: no WebCodecs on plain HTTP.
    expect(text).toMatch(/WebCodecs|HTTP|secure/i);
    // The MSE fast path settles at the live edge (a page that just joined may start a little behind).
    const settled = await eventually('the MSE delay to settle under a second', () => statsText(p.page), (t) => shownDelayMs(t) < 1000, 20_000).catch(async (e) => {
      await p.page.screenshot({ path: join(SHOTS, 'other-host-http-mse-late.png') });
      throw new Error(`${e}\n${await statsText(p.page)}`);
    });
    expect(shownDelayMs(settled), settled).toBeLessThan(1000);
    // The page starts muted until a gesture (as browsers demand): the participant's click on
    // Unmute. What is checked is that MSE carries the room's tone, in the path's own <audio>
    // element (mseSound.ts), which the Player unmutes with the picture (a muted element feeds
    // silence, unlike WebCodecs' MediaStream, which soundLevel reads either way).
    await p.page.getByRole('button', { name: 'Unmute', exact: true }).click();
    expect(await eventually("the tone in the player's sound", () => soundLevel(p.page), (r) => r > 0.02, 15_000)).toBeGreaterThan(0.02);
    await p.context.close();
  }, 90_000);

  it("over plain HTTP the driver's clicks land too (noVNC outside a secure context, MSE picture)", async () => {
    const bob = await enterRoom(untrusted.browser, `${http}/rooms/${inputRoom}`, 'Bob', { width: 1366, height: 768 });
    await bob.page.waitForSelector('.room-app.driving.input-on', { timeout: 20_000 });
    await expectPlaying(bob.page);
    expect(shownPath(await statsWithDelay(bob.page))).toBe('fast-mse');
    await bob.page.locator('button[aria-label="Close statistics"]').dispatchEvent('click');
    for (const [i, viewport] of [{ width: 1366, height: 768 }, { width: 390, height: 844 }].entries()) {
      await bob.page.setViewportSize(viewport);
      await bob.page.waitForTimeout(300); // the content rect follows resize events
      await expectClickLands(bob.page, pages, tag, INPUT_BUTTONS[i]!);
    }
    await bob.context.close();
  }, 90_000);

  it('on plain HTTP the dashboard redirects to HTTPS, the admin login is refused, and the admin cookie is never sent', async () => {
    const dash = await curlFrom(participant, `${http}/`);
    expect([301, 302, 307, 308]).toContain(dash.status);
    expect(dash.headers.location?.[0]).toBe(`${https}/`);
    const login = await curlFrom(participant, `${http}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: appliance.adminPassword }) });
    expect(login.status).toBe(403);
    expect(login.headers['set-cookie']).toBeUndefined();
    // A person who types the http address lands on the HTTPS login page (their password goes there).
    const context = admin.context();
    const page = await context.newPage();
    await page.addInitScript({ content: "localStorage.setItem('streambox.name', 'Admin');" }); // skip the join screen
    await page.goto(`${http}/`);
    expect(page.url().startsWith(`${https}/`)).toBe(true);
    // The logged-in admin opens a room on plain HTTP: no request there carries the Secure cookie...
    const cookiesSent: string[] = [];
    page.on('request', (req) => {
      if (req.url().startsWith('http:')) void req.allHeaders().then((h) => cookiesSent.push(h.cookie ?? ''));
    });
    await page.goto(`${http}/rooms/${toneRoom}`);
    await page.waitForSelector('.bar').catch(async (e) => {
      await page.screenshot({ path: join(SHOTS, 'other-host-http-admin-room-failed.png') });
      throw new Error(`${e}\nat ${page.url()}:\n${(await page.locator('body').innerText()).slice(0, 1000)}`);
    });
    await page.waitForTimeout(2000); // the page's own API calls (configuration, join) have gone out
    expect(await page.evaluate(async () => (await fetch('/api/rooms')).status)).not.toBe(200);
    expect(cookiesSent.length).toBeGreaterThan(0);
    expect(cookiesSent.filter((c) => c.includes('sbx_admin'))).toEqual([]);
    // ...while on HTTPS the same browser is still logged in (the cookie exists and works there).
    await page.goto(`${https}/rooms/${toneRoom}`);
    expect(await page.evaluate(async () => (await fetch('/api/rooms')).status)).toBe(200);
    await page.close();
  }, 90_000);
});
