/**
 * A browser smoke run of the room page against a dev server (test/support/devServer.ts on :8090):
 * control passes from Alice to Bob and noVNC follows it; a dropped room channel shows
 * "Reconnecting…" and recovers; the driver's typing on the on-screen keyboard path reaches noVNC.
 *
 *   node --import tsx web/scripts/smoke.ts        (exits non-zero on the first failed check)
 */
import { chromium, type Browser, type Page } from 'playwright-core';

const BASE = process.env.SBX_URL ?? 'http://127.0.0.1:8090';
const PASSWORD = process.env.SBX_PASSWORD ?? 'correct horse battery staple';
let failures = 0;

function check(what: string, ok: boolean): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

async function participant(browser: Browser, name: string, roomId: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  // Plain JS text: tsx would wrap a named function in helpers that do not exist in the page.
  // It keeps a handle on the page's WebSockets (a plain function returning the native socket,
  // since a subclass fails noVNC's own checks), to drop the room channel on purpose.
  await ctx.addInitScript({
    content: `
      localStorage.setItem('streambox.name', ${JSON.stringify(name)});
      const Native = window.WebSocket;
      const all = [];
      window.__sockets = all;
      const Tracked = function (url, protocols) { const ws = new Native(url, protocols); all.push(ws); return ws; };
      Tracked.prototype = Native.prototype;
      Object.assign(Tracked, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
      window.WebSocket = Tracked;
      // Key presses noVNC sends (RFB KeyEvent: 4, down, 0, 0, keysym u32), read off the VNC socket.
      window.__keys = [];
      const send = Native.prototype.send;
      Native.prototype.send = function (data) {
        if (this.url.includes('/vnc') && data instanceof Uint8Array) {
          for (let i = 0; i < data.length; ) {
            if (data[i] === 4 && i + 8 <= data.length) {
              if (data[i + 1] === 1) window.__keys.push(((data[i + 4] << 24) | (data[i + 5] << 16) | (data[i + 6] << 8) | data[i + 7]) >>> 0);
              i += 8;
            } else if (data[i] === 5) i += 6;
            else i++;
          }
        }
        return send.call(this, data);
      };
    `,
  });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/rooms/${roomId}`);
  await page.waitForSelector('.bar');
  return page;
}

const has = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s) !== null, selector);

async function main(): Promise<void> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const admin = await (await browser.newContext()).newPage();
    await admin.goto(BASE + '/');
    await admin.fill('#password', PASSWORD);
    await admin.click('button[type=submit]');
    await admin.waitForSelector('.page-head');
    const rooms = (await admin.evaluate(async () => (await (await fetch('/api/rooms')).json()).rooms)) as Array<{ id: string; name: string; people: { participants: number } }>;
    const room = rooms.find((r) => r.name === 'Movie night')!;
    check('nobody is in the room before the run', room.people.participants === 0);

    const alice = await participant(browser, 'Alice', room.id);
    await alice.waitForSelector('.room-app.driving.input-on', { timeout: 15_000 });
    check('the first one in drives, with noVNC connected', true);
    const bob = await participant(browser, 'Bob', room.id);
    await bob.waitForSelector('.control-btn');
    check('the second one watches, without noVNC', !(await has(bob, '.rfb-target canvas')));

    await bob.evaluate(() => (document.querySelector('.control-btn') as HTMLButtonElement).click());
    await alice.waitForSelector('.request-card');
    check('the driver sees the request', (await alice.textContent('.request-card'))?.includes('Bob wants control') ?? false);
    await alice.evaluate(() => (document.querySelector('.request-card .btn-primary') as HTMLButtonElement).click());
    await bob.waitForSelector('.room-app.driving.input-on', { timeout: 15_000 });
    check('after Pass, Bob drives with noVNC connected', true);
    await alice.waitForFunction(() => !document.querySelector('.room-app.driving') && !document.querySelector('.rfb-target canvas'));
    check('and Alice is back to watching, noVNC disconnected', true);

    // Bob types through the on-screen keyboard path: the hidden field's input becomes key events.
    await bob.evaluate(() => (document.querySelector('.bar [aria-label="Keyboard"]') as HTMLButtonElement).click());
    await bob.keyboard.insertText('hé');
    await bob.keyboard.press('Enter');
    await bob.keyboard.press('Backspace');
    await bob.waitForTimeout(300);
    const keys = (await bob.evaluate(() => (window as unknown as { __keys: number[] }).__keys)).map((k) => k.toString(16));
    check(`the on-screen keyboard path sends h, é, Return, BackSpace to the room (${keys.join(' ')})`, ['68', 'e9', 'ff0d', 'ff08'].every((k) => keys.includes(k)));

    // The room channel drops: "Reconnecting…", then back, as a new participant.
    await bob.evaluate(() => {
      for (const ws of (window as unknown as { __sockets: WebSocket[] }).__sockets) if (ws.url.includes('/events')) ws.close();
    });
    await bob.waitForFunction(() => document.querySelector('.notices')?.textContent?.includes('Reconnecting') || document.querySelector('.control-status')?.textContent?.includes('Reconnecting'), null, { timeout: 5000 });
    check('a dropped channel shows Reconnecting…', true);
    await bob.waitForFunction(() => document.querySelector('.control-status')?.textContent?.includes('Nobody is driving'), null, { timeout: 15_000 });
    check('and it comes back; the drop released control (the arbiter gives it to nobody unasked)', true);
    const state = await alice.textContent('.control-status');
    check(`Alice sees it too (${state?.trim()})`, state?.includes('Nobody is driving') ?? false);
    await alice.evaluate(() => (document.querySelector('.control-btn') as HTMLButtonElement).click());
    await alice.waitForSelector('.room-app.driving.input-on', { timeout: 15_000 });
    check('with nobody driving, "Take control" gives it at once', true);

    // The admin (signed in on the dashboard) can take control from whoever drives.
    await admin.goto(`${BASE}/rooms/${room.id}`);
    await admin.fill('#display-name', 'Host');
    await admin.click('button[type=submit]');
    await admin.waitForSelector('.bar-take:not([hidden])', { state: 'attached', timeout: 10_000 });
    await admin.evaluate(() => (document.querySelector('.bar-take') as HTMLButtonElement).click());
    await admin.waitForSelector('.room-app.driving.input-on', { timeout: 15_000 });
    check('the admin sees "Take control" and takes it', true);
    await alice.waitForFunction(() => document.querySelector('.control-status')?.textContent?.includes('Host is driving'));
    check('and Alice sees the host driving', true);
    await admin.goto(`${BASE}/`);

    await alice.context().close();
    await bob.context().close();
    await admin.waitForTimeout(2500);
    const after = (await admin.evaluate(async () => (await (await fetch('/api/rooms')).json()).rooms)) as Array<{ name: string; people: { participants: number } }>;
    check('the dashboard counts nobody after everyone left', after.find((r) => r.name === 'Movie night')!.people.participants === 0);
  } finally {
    await browser.close();
  }
  console.log(failures === 0 ? 'smoke: all checks passed' : `smoke: ${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
