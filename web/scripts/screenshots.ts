/**
 * Screenshots of every screen and state, at 1366x768, 1920x1080 and a 390x844 phone, against a
 * running dev server (test/support/devServer.ts). Also checks that a click on the picture lands
 * at the same point of the room's X display, at each window size.
 *
 *   node --import tsx test/support/devServer.ts --port 8090 --password 'correct horse battery staple'
 *   node --import tsx test/support/devServer.ts --port 8091 --password 'correct horse battery staple' --seed none
 *   node --import tsx test/support/devServer.ts --port 8092 --password 'correct horse battery staple' --seed live --idle 24
 *   node --import tsx web/scripts/screenshots.ts [--only NAME]
 *
 * Output: test-artifacts/screenshots/VIEWPORT-NN-state.png
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'test-artifacts', 'screenshots');
const BASE = process.env.SBX_URL ?? 'http://127.0.0.1:8090';
const EMPTY_BASE = process.env.SBX_EMPTY_URL ?? 'http://127.0.0.1:8091';
/** A dev server started with --seed live --idle 24, for the idle warning. */
const IDLE_BASE = process.env.SBX_IDLE_URL ?? 'http://127.0.0.1:8092';
const PASSWORD = process.env.SBX_PASSWORD ?? 'correct horse battery staple';
/** The live room's X display (the dev server prints it; 8090's first room is :4610). */
const DISPLAY = process.env.SBX_DISPLAY ?? ':4610';
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;

const VIEWPORTS = [
  { name: 'desktop', width: 1366, height: 768, mobile: false },
  { name: 'fullhd', width: 1920, height: 1080, mobile: false },
  { name: 'phone', width: 390, height: 844, mobile: true },
  { name: 'landscape', width: 844, height: 390, mobile: true },
  // 1366x768 at 200% browser zoom lays out like this.
  { name: 'zoom200', width: 683, height: 384, mobile: false, scale: 2 },
] as const;
type Viewport = (typeof VIEWPORTS)[number];

const execFileP = promisify(execFile);
const results: string[] = [];

async function xPointer(): Promise<{ x: number; y: number }> {
  const { stdout } = await execFileP('python3', [join(ROOT, 'test', 'support', 'xstate.py')], { env: { ...process.env, DISPLAY } });
  return JSON.parse(stdout);
}

async function newContext(browser: Browser, vp: Viewport, name?: string): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    viewport: { width: vp.width, height: vp.height },
    deviceScaleFactor: 'scale' in vp ? vp.scale : vp.mobile ? 2 : 1,
    isMobile: vp.mobile,
    hasTouch: vp.mobile,
    ...(vp.mobile ? { userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36' } : {}),
  });
  if (name) await ctx.addInitScript((n) => localStorage.setItem('streambox.name', n), name);
  return ctx;
}

let shotNo = 0;
async function shot(page: Page, vp: Viewport, state: string): Promise<void> {
  shotNo++;
  if (only && !state.includes(only)) return;
  const file = join(OUT, `${vp.name}-${String(shotNo).padStart(2, '0')}-${state}.png`);
  await page.waitForTimeout(350); // let transitions settle
  await page.screenshot({ path: file });
  results.push(file);
  console.log('shot', file);
}

/** Like a person: move the mouse (or tap) so the auto-hidden bar comes back. */
async function revealBar(page: Page, vp: Viewport): Promise<void> {
  if (vp.mobile) {
    if (await page.$('.dock.hidden')) await page.touchscreen.tap(vp.width / 2, vp.height / 2);
  } else {
    await page.mouse.move(vp.width / 2 + 7, vp.height / 2 + 3);
    await page.mouse.move(vp.width / 2, vp.height - 40, { steps: 4 });
  }
  await page.waitForSelector('.dock:not(.hidden)');
  await page.waitForTimeout(300);
}

async function login(page: Page, base = BASE): Promise<void> {
  await page.goto(base + '/');
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('.page-head');
}

async function roomIds(page: Page): Promise<{ live: string; failed: string }> {
  const rooms = (await page.evaluate(async () => (await (await fetch('/api/rooms')).json()).rooms)) as Array<{ id: string; name: string }>;
  return { live: rooms.find((r) => r.name === 'Movie night')!.id, failed: rooms.find((r) => r.name === 'Support desk')!.id };
}

async function run(browser: Browser, vp: Viewport): Promise<void> {
  shotNo = 0;
  // ---- Dashboard ----
  const admin = await newContext(browser, vp);
  const page = await admin.newPage();
  await page.goto(BASE + '/');
  await page.waitForSelector('#password');
  await shot(page, vp, 'login');
  await page.fill('#password', 'not the password');
  await page.click('button[type=submit]');
  await page.waitForSelector('.form-error:not([hidden])');
  await shot(page, vp, 'login-wrong-password');

  const emptyAdmin = await newContext(browser, vp);
  const emptyPage = await emptyAdmin.newPage();
  await login(emptyPage, EMPTY_BASE);
  await emptyPage.waitForSelector('.empty:not([hidden])');
  await shot(emptyPage, vp, 'dashboard-empty');
  await emptyAdmin.close();

  await login(page);
  const ids = await roomIds(page);
  await page.waitForSelector('.room[data-state="live"] .room-preview.playing', { timeout: 20_000 }).catch(() => console.warn('preview did not play'));
  await shot(page, vp, 'dashboard-rooms');
  await page.click(`.room[data-id="${ids.failed}"] .details-toggle`);
  await shot(page, vp, 'dashboard-failed-details');
  await page.click(`.room[data-id="${ids.failed}"] .details-toggle`);

  await page.click('.page-head .btn-primary');
  await page.waitForSelector('dialog[open] #nr-name');
  await page.fill('#nr-name', 'Design review');
  await page.fill('#nr-startUrl', 'example.org/board');
  await page.click('dialog[open] button[type=submit]');
  await page.waitForSelector('dialog[open] .field-error');
  await shot(page, vp, 'new-room-field-error');
  await page.keyboard.press('Escape');

  await page.click(`.room[data-id="${ids.live}"] .btn-quiet-danger`);
  await page.waitForSelector('dialog[open] .btn-danger');
  await shot(page, vp, 'delete-confirm');
  await page.keyboard.press('Escape');

  // ---- Room page ----
  const guest = await newContext(browser, vp);
  const gp = await guest.newPage();
  await gp.goto(`${BASE}/rooms/${ids.live}`);
  await gp.waitForSelector('#display-name');
  await shot(gp, vp, 'room-name-prompt');
  await guest.close();

  const pwGuest = await newContext(browser, vp, 'Priya');
  const pp = await pwGuest.newPage();
  await pp.goto(`${BASE}/rooms/${ids.failed}`);
  await pp.waitForSelector('#room-password');
  await shot(pp, vp, 'room-password-prompt');
  await pp.fill('#room-password', 'wrong one');
  await pp.click('button[type=submit]');
  await pp.waitForSelector('.field-error');
  await shot(pp, vp, 'room-wrong-password');
  await pp.fill('#room-password', 'open sesame');
  await pp.click('button[type=submit]');
  await pp.waitForSelector('.overlay-card');
  await pp.waitForTimeout(1500);
  await shot(pp, vp, 'room-waiting-failed');
  await pwGuest.close();

  const nf = await newContext(browser, vp, 'Priya');
  const np = await nf.newPage();
  await np.goto(`${BASE}/rooms/aaaaaaaaaaaaaaaaaaaaaaaa`);
  await np.waitForSelector('.screen-card h1');
  await shot(np, vp, 'room-not-found');
  await nf.close();

  // Alice drives (first in), Bob watches.
  const alice = await newContext(browser, vp, 'Alice Martin');
  const ap = await alice.newPage();
  await ap.goto(`${BASE}/rooms/${ids.live}`);
  await ap.waitForSelector('.room-app.playing', { timeout: 25_000 });
  await ap.waitForSelector('.room-app.driving.input-on', { timeout: 10_000 }).catch(() => console.warn('alice: input did not connect'));
  const rect = await ap.evaluate(() => {
    const r = document.querySelector('.content')!.getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  });
  // A click at a point of the picture lands at that point of the session.
  const fx = 0.3;
  const fy = 0.7;
  if (vp.mobile) await ap.touchscreen.tap(rect.x + rect.w * fx, rect.y + rect.h * fy);
  else await ap.mouse.click(rect.x + rect.w * fx, rect.y + rect.h * fy);
  await ap.waitForTimeout(400);
  const xp = await xPointer().catch((e) => ({ x: -1, y: -1, err: String(e) }));
  const want = { x: Math.round(1920 * fx), y: Math.round(1080 * fy) };
  const ok = Math.abs(xp.x - want.x) <= 3 && Math.abs(xp.y - want.y) <= 3;
  console.log(`${vp.name}: click at ${fx},${fy} of the picture -> X pointer ${xp.x},${xp.y} (want ${want.x},${want.y}) ${ok ? 'OK' : 'MISMATCH'}`);
  results.push(`${vp.name} click mapping: ${ok ? 'OK' : 'MISMATCH'} (${xp.x},${xp.y} vs ${want.x},${want.y})`);
  // Near the bar's edge, so the bar shows too (while driving, only that edge brings it back).
  if (!vp.mobile) await ap.mouse.move(rect.x + rect.w * 0.55, vp.height - 50);
  else await ap.click('.bar-handle').catch(() => undefined);
  await ap.waitForTimeout(1200);
  await shot(ap, vp, 'room-driver');

  const bob = await newContext(browser, vp, 'Bob Okafor');
  const bp = await bob.newPage();
  await bp.goto(`${BASE}/rooms/${ids.live}`);
  await bp.waitForSelector('.room-app.playing', { timeout: 25_000 });
  // Alice's pointer shows up on Bob's screen.
  for (let i = 0; i < 8; i++) await ap.mouse.move(rect.x + rect.w * (0.4 + i * 0.02), rect.y + rect.h * 0.35);
  if (vp.mobile) await ap.evaluate(() => undefined);
  await bp.mouse.move(vp.width / 2, vp.height / 2);
  await bp.waitForTimeout(900);
  await shot(bp, vp, 'room-viewer');

  await revealBar(bp, vp);
  await bp.click('.control-btn');
  await bp.waitForFunction(() => document.querySelector('.control-btn')?.textContent?.includes('Cancel'));
  await ap.waitForSelector('.request-card');
  await bp.waitForTimeout(300);
  await shot(bp, vp, 'room-request-pending');
  await ap.mouse.move(rect.x + rect.w * 0.5, vp.mobile ? 10 : vp.height - 30);
  await shot(ap, vp, 'room-driver-sees-request');

  await revealBar(bp, vp);
  await bp.click('.bar [aria-label="Stream statistics"]').catch(() => undefined);
  await bp.waitForTimeout(1500);
  await shot(bp, vp, 'room-stats');
  await revealBar(bp, vp);
  await bp.click('.people');
  await shot(bp, vp, 'room-people');

  await page.waitForTimeout(2500); // one dashboard poll
  await shot(page, vp, 'dashboard-people-in-room');
  if (vp.name === 'desktop') {
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, vp, 'dashboard-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  }

  // A room's life as a viewer sees it: starting, (letterboxed 720p) live, stopped, deleted.
  if (vp.name === 'desktop' || vp.name === 'phone') {
    const created = (await page.evaluate(async () => {
      const res = await fetch('/api/rooms', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Quiz night', startUrl: 'https://quiz.example.org/', width: 1280, height: 720 }) });
      return res.json();
    })) as { id: string };
    const viewer = await newContext(browser, vp, 'Chen Wei');
    const vpage = await viewer.newPage();
    await vpage.goto(`${BASE}/rooms/${created.id}`);
    await vpage.waitForSelector('.overlay-card');
    await shot(vpage, vp, 'room-waiting-starting');
    await vpage.waitForSelector('.room-app.playing', { timeout: 25_000 });
    await shot(vpage, vp, 'room-live-first-in');
    await page.evaluate((id) => fetch(`/api/rooms/${id}/stop`, { method: 'POST' }), created.id);
    await vpage.waitForFunction(() => document.querySelector('.overlay-card h2')?.textContent?.includes('stopped'), null, { timeout: 10_000 });
    await shot(vpage, vp, 'room-stopped');
    await page.evaluate((id) => fetch(`/api/rooms/${id}`, { method: 'DELETE' }), created.id);
    await vpage.waitForSelector('text=This room was deleted', { timeout: 10_000 });
    await shot(vpage, vp, 'room-deleted');
    await viewer.close();

    // The idle driver is warned before control goes.
    const idleAdmin = await newContext(browser, vp);
    const ia = await idleAdmin.newPage();
    await login(ia, IDLE_BASE);
    const idleRoom = ((await ia.evaluate(async () => (await (await fetch('/api/rooms')).json()).rooms)) as Array<{ id: string }>)[0]!.id;
    await idleAdmin.close();
    const dana = await newContext(browser, vp, 'Dana Idle');
    const dp = await dana.newPage();
    await dp.goto(`${IDLE_BASE}/rooms/${idleRoom}`);
    await dp.waitForSelector('.notice-strong', { timeout: 30_000 });
    await dp.waitForTimeout(1500);
    await shot(dp, vp, 'room-idle-warning');
    await dana.close();
  }

  await alice.close();
  await bob.close();
  await admin.close();
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const which = process.env.SBX_VIEWPORTS?.split(',');
    for (const vp of VIEWPORTS) if (!which || which.includes(vp.name)) await run(browser, vp);
  } finally {
    await browser.close();
  }
  console.log(results.filter((r) => r.includes('click mapping')).join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
