/**
 * What the browser tests do on a room page, shared by test/browser/*.test.ts: enter as a named
 * participant, wait for playing video, read the stats overlay (path, delay), measure the sound the
 * player outputs, and map a point of the room's 1920x1080 screen to the page (the video's content
 * rect) to check where a driver's click lands in the session.
 */
import { expect } from 'vitest';
import type { Browser, BrowserContext, Page, WebSocket as PwWebSocket } from 'playwright-core';
import { eventually } from './eventually.js';
import type { PageServer } from './pageServer.js';

export interface Participant {
  page: Page;
  context: BrowserContext;
  /** The room channel's welcome (participant ID and key). */
  you: () => { id: string; key: string } | null;
  /** The VNC WebSockets this page opened, in order. */
  vncSockets: PwWebSocket[];
  /** Every room channel message this page received, in order. */
  channel: Array<Record<string, unknown>>;
}

/** Opens `url` (a room link) in a new context of `browser` as participant `name`. */
export async function enterRoom(browser: Browser, url: string, name: string, viewport: { width: number; height: number }, opts: { isMobile?: boolean; permissions?: string[] } = {}): Promise<Participant> {
  const context = await browser.newContext({ viewport, ...(opts.isMobile ? { isMobile: true, hasTouch: true } : {}), ...(opts.permissions ? { permissions: opts.permissions } : {}) });
  await context.addInitScript({ content: `localStorage.setItem('streambox.name', ${JSON.stringify(name)});` });
  const page = await context.newPage();
  let you: { id: string; key: string } | null = null;
  const vncSockets: PwWebSocket[] = [];
  const channel: Array<Record<string, unknown>> = [];
  page.on('websocket', (ws) => {
    if (ws.url().includes('/vnc')) vncSockets.push(ws);
    if (ws.url().includes('/events'))
      ws.on('framereceived', (f) => {
        try {
          const msg = JSON.parse(String(f.payload));
          channel.push(msg);
          if (msg.type === 'welcome') you = msg.you;
        } catch {
          // not JSON
        }
      });
  });
  await page.goto(url);
  await page.waitForSelector('.bar');
  return { page, context, you: () => you, vncSockets, channel };
}

/** Waits until the page's video is playing: time advances and frames are decoded. */
export async function expectPlaying(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const v = document.querySelector('video');
    return !!v && v.readyState >= 2 && v.currentTime > 0;
  }, null, { timeout: 30_000 });
  const t0 = await page.evaluate(() => document.querySelector('video')!.currentTime);
  await page.waitForFunction((t) => document.querySelector('video')!.currentTime > t + 0.5, t0, { timeout: 10_000 });
}

/** Where a point of the room's 1920x1080 screen is on this page: the video's content rect. */
export async function onScreen(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const rect = await page.evaluate(() => {
    const v = document.querySelector('video')!;
    const r = v.getBoundingClientRect();
    const scale = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
    const w = v.videoWidth * scale;
    const h = v.videoHeight * scale;
    return { left: r.left + (r.width - w) / 2, top: r.top + (r.height - h) / 2, width: w, height: h };
  });
  return { x: rect.left + (x / 1920) * rect.width, y: rect.top + (y / 1080) * rect.height };
}

/** The stats overlay's text (opened once; it refreshes every second). */
export async function statsText(page: Page): Promise<string> {
  if (await page.locator('.stats').isHidden()) await page.locator('button[aria-label="Stream statistics"]').dispatchEvent('click');
  await page.waitForTimeout(1200);
  return page.locator('.stats').innerText();
}

/** The stats overlay once it shows a delay figure. */
export const statsWithDelay = (page: Page, timeoutMs = 15_000) => eventually('a delay figure in the stats overlay', () => statsText(page), (t) => /delay\s+[\d.]+/.test(t), timeoutMs);

/** The delay the overlay shows, in ms. */
export function shownDelayMs(text: string): number {
  const m = /delay\s+([\d.]+)\s*(ms|s)\b/.exec(text);
  if (!m) throw new Error(`no delay in the stats overlay:\n${text}`);
  return m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
}

/** The path the overlay names: 'fast' (WebCodecs), 'fast-mse' or 'hls' (labels "fast (WebCodecs)", "fast (MSE)", "hls"). */
export function shownPath(text: string): 'fast' | 'fast-mse' | 'hls' | null {
  const line = /path\s+([^\n]*)/.exec(text)?.[1] ?? '';
  if (/^fast(-mse| \(MSE\))/i.test(line)) return 'fast-mse';
  if (/^fast\b/i.test(line)) return 'fast';
  if (/^hls\b/i.test(line)) return 'hls';
  return null;
}

/**
 * The loudest RMS over two seconds of the player's sound: the <video>'s MediaStream (WebCodecs),
 * the MSE path's own <audio class="media-sound">, or the <video> itself (HLS).
 */
export function soundLevel(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const v = document.querySelector('video')!;
    const sound = document.querySelector<HTMLAudioElement>('audio.media-sound');
    const ac = new AudioContext();
    const analyser = ac.createAnalyser();
    const src = v.srcObject ? ac.createMediaStreamSource(v.srcObject as MediaStream) : ac.createMediaElementSource(sound ?? v);
    src.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    let loudest = 0;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 100));
      analyser.getFloatTimeDomainData(buf);
      loudest = Math.max(loudest, Math.sqrt(buf.reduce((a, x) => a + x * x, 0) / buf.length));
    }
    await ac.close();
    return loudest;
  });
}

/** Clicks the centre of `button` (session CSS pixels) on the driver's page; expects the session to see it within 8 px. */
export async function expectClickLands(page: Page, pages: PageServer, tag: string, button: { id: string; left: number; top: number; width: number; height: number }): Promise<void> {
  const clicksOn = () => pages.reports(tag).filter((e) => e.type === 'click' && e.id === button.id);
  const before = clicksOn().length;
  const cx = button.left + button.width / 2;
  const cy = button.top + button.height / 2;
  const at = await onScreen(page, cx, cy);
  await page.mouse.click(at.x, at.y);
  await eventually(`click on ${button.id}`, async () => clicksOn().length, (n) => n > before, 10_000);
  const click = clicksOn().pop()!;
  // One CSS pixel of a small window is up to 5 session pixels.
  expect(Math.abs(Number(click.x) - cx)).toBeLessThanOrEqual(8);
  expect(Math.abs(Number(click.y) - cy)).toBeLessThanOrEqual(8);
}
