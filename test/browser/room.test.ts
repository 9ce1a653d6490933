/**
 * The dashboard and the room page in a real browser (Playwright driving Debian's Chromium) against
 * the booted appliance: two participants watch one room, control passes between them, the
 * driver's clicks and keys land exactly where intended in the room's own browser, and both pages
 * come back by themselves, the driver still driving, across a restart of the admin service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { bootAppliance, type Appliance } from '../harness/appliance.js';
import { REPO_ROOT } from '../harness/container.js';
import { eventually } from '../support/eventually.js';
import { INPUT_BUTTONS, INPUT_FIELD, startPageServer, type PageServer } from '../support/pageServer.js';
import { enterRoom, expectClickLands, expectPlaying, onScreen, shownDelayMs, shownPath, soundLevel, statsText, type Participant } from '../support/roomPage.js';
import { CHROMIUM_ARGS } from '../harness/browser.js';

const PORT = 8800;
const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

describe('dashboard and room page in a real browser', () => {
  let appliance: Appliance;
  let pages: PageServer;
  let browser: Browser;
  let cookie: string;
  let roomId: string;
  const tag = `browser-${Date.now()}`;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    pages = await startPageServer();
    appliance = await bootAppliance({ port: PORT });
    cookie = await appliance.login();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
    const res = await fetch(`${appliance.baseUrl}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'Input room', startUrl: pages.url(`/input?tag=${tag}`) }) });
    roomId = ((await res.json()) as { id: string }).id;
    await eventually('the input page to load in the room', async () => pages.reports(tag), (r) => r.some((e) => e.type === 'loaded'), 30_000);
  }, 1_800_000);

  afterAll(async () => {
    await browser?.close();
    await appliance?.stop();
    await pages?.close();
  }, 120_000);

  const enter = (name: string, viewport: { width: number; height: number }) => enterRoom(browser, `${appliance.baseUrl}/rooms/${roomId}`, name, viewport);

  const clicksOn = (id: string) => pages.reports(tag).filter((e) => e.type === 'click' && e.id === id).length;
  // Reports are separate fetches and may arrive out of order: compare sets, not the last one.
  const texts = () => pages.reports(tag).filter((e) => e.type === 'text').map((e) => String(e.value));

  let alice: Participant;
  let bob: Participant;

  it('two participants see playing video; the first in drives', async () => {
    alice = await enter('Alice', { width: 1366, height: 768 });
    await alice.page.waitForSelector('.room-app.driving.input-on', { timeout: 20_000 });
    bob = await enter('Bob', { width: 1280, height: 720 });
    await bob.page.waitForSelector('.control-btn');
    await Promise.all([expectPlaying(alice.page), expectPlaying(bob.page)]);
    expect(await bob.page.evaluate(() => document.querySelector('.room-app.driving'))).toBeNull();
    expect(await bob.page.textContent('.control-status')).toContain('Alice');
    await alice.page.screenshot({ path: join(SHOTS, 'e2e-room-driver-1366.png') });
    await bob.page.screenshot({ path: join(SHOTS, 'e2e-room-viewer-1280.png') });
  }, 120_000);

  it('both watch the fast path by default; the overlay shows the path and a delay well under a second', async () => {
    for (const p of [alice, bob]) {
      const text = await eventually('a delay figure', () => statsText(p.page), (t) => /delay\s+[\d.]+/.test(t), 15_000);
      expect(shownPath(text), text).toBe('fast');
      // A generous bound that still catches a page that silently fell back to HLS (1-4 s).
      expect(shownDelayMs(text)).toBeLessThan(1000);
      expect(await p.page.evaluate(() => !!document.querySelector('video')?.srcObject)).toBe(true);
    }
    await alice.page.screenshot({ path: join(SHOTS, 'e2e-room-stats-fast.png') });
    await alice.page.locator('button[aria-label="Close statistics"]').dispatchEvent('click');
  }, 60_000);

  it("the driver's clicks land on the session's buttons at three window sizes, including a portrait phone", async () => {
    for (const [i, viewport] of [{ width: 1366, height: 768 }, { width: 1000, height: 900 }, { width: 390, height: 844 }].entries()) {
      await alice.page.setViewportSize(viewport);
      await alice.page.waitForTimeout(300); // layout settles (the content rect follows resize events)
      await expectClickLands(alice.page, pages, tag, INPUT_BUTTONS[i]!);
      if (viewport.width === 390) await alice.page.screenshot({ path: join(SHOTS, 'e2e-room-driver-phone.png') });
    }
    await alice.page.setViewportSize({ width: 1366, height: 768 });
  }, 120_000);

  it("the driver's typing reaches the session's text field", async () => {
    await alice.page.waitForTimeout(300);
    const field = await onScreen(alice.page, INPUT_FIELD.left + 40, INPUT_FIELD.top + INPUT_FIELD.height / 2);
    await alice.page.mouse.click(field.x, field.y);
    await alice.page.keyboard.type('Hi Bob');
    await eventually('typed text in the session', async () => texts(), (vs) => vs.some((v) => v.endsWith('Hi Bob')), 10_000);
  }, 60_000);

  it("a viewer's clicks and keys have no effect, also with a stale or stolen VNC token", async () => {
    const b2 = INPUT_BUTTONS[1]!;
    const before = clicksOn(b2.id);
    const at = await onScreen(bob.page, b2.left + b2.width / 2, b2.top + b2.height / 2);
    await bob.page.mouse.click(at.x, at.y);
    await bob.page.keyboard.type('zzz');
    // Bob asks for a token with his own identity: refused, he does not drive.
    const you = bob.you()!;
    const status = await bob.page.evaluate(
      async ({ id, key, room }) => (await fetch(`/api/rooms/${room}/vnc-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ participantId: id, participantKey: key }) })).status,
      { id: you.id, key: you.key, room: roomId },
    );
    expect(status).toBe(403);
    // Bob replays the VNC URL (with its token) that Alice's page used: the server refuses it.
    const stolen = alice.vncSockets.at(-1)!.url();
    expect(stolen).toMatch(/\/vnc\?token=/);
    const outcome = await bob.page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
          setTimeout(() => resolve('timeout'), 5000);
        }),
      stolen,
    );
    expect(outcome).toBe('refused');
    await bob.page.waitForTimeout(1500);
    expect(clicksOn(b2.id)).toBe(before);
    expect(texts().filter((v) => v.includes('z'))).toEqual([]);
  }, 60_000);

  it('Bob requests control, Alice passes it: Bob drives and the server closes Alice\'s VNC connection', async () => {
    const aliceVnc = alice.vncSockets.at(-1)!;
    const aliceVncClosed = new Promise<void>((r) => (aliceVnc.isClosed() ? r() : aliceVnc.on('close', () => r())));
    await bob.page.click('.control-btn');
    await alice.page.waitForSelector('.request-card');
    expect(await alice.page.textContent('.request-card')).toContain('Bob');
    await alice.page.click('.request-card .btn-primary');
    await bob.page.waitForSelector('.room-app.driving.input-on', { timeout: 20_000 });
    await aliceVncClosed;
    await alice.page.waitForFunction(() => !document.querySelector('.room-app.driving'));
    // Bob's clicks now land.
    await bob.page.waitForTimeout(300);
    const b3 = INPUT_BUTTONS[2]!;
    const before = clicksOn(b3.id);
    const at = await onScreen(bob.page, b3.left + b3.width / 2, b3.top + b3.height / 2);
    await bob.page.mouse.click(at.x, at.y);
    await eventually("Bob's click", async () => clicksOn(b3.id), (n) => n > before, 10_000);
  }, 90_000);

  // Issue 13: a restart nobody notices, seen from the pages (faults.test.ts has it on bare sockets).
  it('a restart of the admin service: both pages come back by themselves as who they were, Bob still drives and the picture plays on', async () => {
    const who = [alice.you()!.id, bob.you()!.id];
    const welcomes = () => [alice, bob].map((p) => p.channel.filter((m) => m.type === 'welcome').length);
    const [welcomesBefore, vncBefore] = [welcomes(), bob.vncSockets.length];
    const at = Date.now();
    await appliance.exec(['systemctl', 'restart', 'streambox-admin.service']);
    await eventually('both pages welcomed again', async () => welcomes(), (w) => w.every((n, i) => n > welcomesBefore[i]!), 30_000);
    const back = Date.now() - at;
    expect([alice.you()!.id, bob.you()!.id], 'the same participants, not new ones').toEqual(who);
    await eventually("Bob's new VNC session", async () => bob.vncSockets.length, (n) => n > vncBefore, 20_000);
    await bob.page.waitForSelector('.room-app.driving.input-on', { timeout: 20_000 });
    expect(await alice.page.evaluate(() => document.querySelector('.room-app.driving')), 'Alice did not get control back').toBeNull();
    await Promise.all([expectPlaying(alice.page), expectPlaying(bob.page)]);
    await expectClickLands(bob.page, pages, tag, INPUT_BUTTONS[1]!);
    console.log(`admin restart: both pages back ${back} ms after, Bob driving and both playing ${Date.now() - at} ms after`);
  }, 90_000);

  it('the driver closing the tab releases control, and the next participant can take it', async () => {
    await bob.context.close();
    await alice.page.waitForFunction(() => document.querySelector('.control-status')?.textContent?.includes('Nobody is driving'), null, { timeout: 15_000 });
    // As a user reaches for the bar: a move first. The bar slides away after a few quiet seconds
    // and a move brings it back; a click whose pointer lands while it slides away rests where the
    // bar was, and a pointer that does not move brings nothing back (seen in CI on a slow machine).
    await alice.page.mouse.move(3, 3);
    await alice.page.click('.control-btn');
    await alice.page.waitForSelector('.room-app.driving.input-on', { timeout: 20_000 });
    await alice.context.close();
  }, 60_000);

  it('the fast path carries the room\'s sound; with its endpoint refused the page falls back to HLS and keeps playing', async () => {
    const res = await fetch(`${appliance.baseUrl}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'Tone room', startUrl: pages.url('/tone') }) });
    const toneRoom = ((await res.json()) as { id: string }).id;
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      await context.addInitScript({ content: "localStorage.setItem('streambox.name', 'Listener');" });
      const page = await context.newPage();
      await page.goto(`${appliance.baseUrl}/rooms/${toneRoom}`);
      await expectPlaying(page);
      expect(shownPath(await statsText(page))).toBe('fast');
      // The loudest RMS over two seconds of the <video>'s own sound (the tone page plays 440 Hz).
      // A room that just started may send its first seconds without sound: give the tone 15 s to arrive.
      const rms = await eventually("the tone in the player's sound", () => soundLevel(page), (r) => r > 0.02, 15_000);
      expect(rms).toBeGreaterThan(0.02);
      await context.close();

      // The fast path's WebSocket is refused (as a proxy that drops WebSockets would): HLS plays instead.
      const blocked = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      await blocked.addInitScript({ content: "localStorage.setItem('streambox.name', 'Behind a proxy');" });
      const page2 = await blocked.newPage();
      await page2.routeWebSocket(/\/media$/, (ws) => ws.close({ code: 1011, reason: 'refused by the test' }));
      await page2.goto(`${appliance.baseUrl}/rooms/${toneRoom}`);
      await expectPlaying(page2);
      const text = await eventually('a delay figure on HLS', () => statsText(page2), (t) => /delay\s+[\d.]+/.test(t), 20_000);
      expect(shownPath(text), text).toBe('hls');
      expect(shownDelayMs(text)).toBeGreaterThan(0);
      await page2.screenshot({ path: join(SHOTS, 'e2e-room-stats-hls-fallback.png') });
      await blocked.close();
    } finally {
      await fetch(`${appliance.baseUrl}/api/rooms/${toneRoom}`, { method: 'DELETE', headers: { cookie } });
    }
  }, 150_000);

  it('the dashboard creates and deletes a room end to end', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await page.goto(`${appliance.baseUrl}/`);
    await page.fill('#password', appliance.adminPassword);
    await page.click('button[type=submit]');
    await page.waitForSelector('.page-head');
    await page.screenshot({ path: join(SHOTS, 'e2e-dashboard-1366.png') });
    await page.getByRole('button', { name: /new room/i }).first().click();
    await page.fill('#nr-name', 'From the dashboard');
    await page.fill('#nr-startUrl', pages.url('/tone'));
    await page.click('button[form=new-room-form]');
    const row = page.locator('.room', { hasText: 'From the dashboard' });
    await row.waitFor({ timeout: 30_000 });
    await row.locator('[data-state="live"]').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'e2e-dashboard-live-1366.png') });
    const id = await row.getAttribute('data-id');
    expect(id).toMatch(/^[a-z2-7]{24}$/);
    expect((await appliance.exec(['systemctl', 'is-active', `room@${id}.target`])).stdout.trim()).toBe('active');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'e2e-dashboard-phone.png') });
    await page.setViewportSize({ width: 1366, height: 768 });
    await row.getByRole('button', { name: 'Delete From the dashboard' }).click();
    await page.getByRole('button', { name: 'Delete room' }).click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });
    const gone = await fetch(`${appliance.baseUrl}/api/rooms/${id}`, { headers: { cookie } });
    expect(gone.status).toBe(404);
    expect((await appliance.exec(['systemctl', 'is-active', `room@${id}.target`])).stdout.trim()).not.toBe('active');
    await context.close();
  }, 120_000);
});
