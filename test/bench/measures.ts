/**
 * What the benchmark measures on one viewer (a room page with viewerScript.ts in it): the first
 * frame, glass to glass with stalls, A/V sync, and input to photon. Each measurement records a
 * row, or a FAILED row with its reason; none throws.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { MARKER, SCREEN } from './clockPage.js';
import { failed, hostLoad, ms, percentile, record, sleep } from './report.js';
import type { BenchState } from './viewerScript.js';

const CLICKS = 15;
const CLICK_SPACING_MS = 600;

export interface Viewer {
  page: Page;
  context: BrowserContext;
  openedAt: number;
  /** What the page actually used ('fast', 'fast-mse', 'hls'), and whether it is the one asked for. */
  used(): Promise<string>;
  state(): Promise<BenchState>;
  close(): Promise<void>;
}

export async function waitFor<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await get();
  while (!ok(v)) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
    v = await get();
  }
  return v;
}

export const firstFrame = (v: Viewer, timeoutMs: number) => waitFor('a presented frame', () => v.state(), (s) => s.firstFrameAt !== null, timeoutMs);
export const firstClock = (v: Viewer, timeoutMs: number) => waitFor('a frame showing the clock page', () => v.state(), (s) => s.firstDecodedAt !== null, timeoutMs);

/** Glass to glass over one window, with the stalls seen meanwhile (gaps of over 500 ms between presented frames). */
export async function glass(section: string, what: string, v: Viewer, windowMs: number): Promise<void> {
  try {
    await v.page.evaluate('Object.assign(window.__bench, { delays: [], shown: [], undecodable: 0, maxGapMs: 0, stalls: [], collecting: true })');
    const presented0 = (await v.state()).presented;
    const load = hostLoad();
    await sleep(windowMs);
    const busy = load();
    await v.page.evaluate('window.__bench.collecting = false');
    const s = await v.state();
    const d = [...s.delays].sort((a, c) => a - c);
    if (d.length === 0) throw new Error(`no decodable frame in ${windowMs / 1000} s (${s.presented - presented0} presented, ${s.undecodable} undecodable, video ${s.videoSize || 'none'}, path used: ${await v.used()}${s.errors.length ? `, errors: ${s.errors.join('; ')}` : ''})`);
    const stalls = s.stalls.length ? `${s.stalls.length} stalls > 500 ms (longest ${ms(Math.max(...s.stalls))})` : 'no stall > 500 ms';
    record(section, `${what}: p50 / p95 / min`, `${ms(percentile(d, 50))} / ${ms(percentile(d, 95))} / ${ms(d[0]!)}`, `${d.length} frames decoded (${(d.length / (windowMs / 1000)).toFixed(1)}/s), ${s.undecodable} undecodable; longest gap ${ms(s.maxGapMs)}, ${stalls}; path used: ${await v.used()}; ${busy}`);
  } catch (e) {
    failed(section, what, e);
  }
}

/**
 * A/V sync: the clock page flashes a square and beeps at every whole second; the viewer notes
 * when each flash is presented and when each beep starts in the player's own sound. Positive:
 * the sound comes after its picture.
 */
export async function avSync(section: string, v: Viewer, windowMs: number): Promise<void> {
  const what = 'sound after its picture (A/V offset): p50 / min / max';
  try {
    await v.page.evaluate('window.__benchListen(); window.__bench.flashes = []; window.__bench.beeps = []');
    await sleep(Math.min(windowMs, 12_000));
    const s = await v.state();
    const offsets = s.beeps.flatMap((b) => {
      const near = s.flashes.filter((f) => Math.abs(b - f) < 500).sort((x, y) => Math.abs(b - x) - Math.abs(b - y))[0];
      return near === undefined ? [] : [b - near];
    });
    // The listener stays: for HLS and MSE it has taken over the element's sound, and closing its
    // context would leave the element without an audio clock (its picture then freezes).
    if (offsets.length === 0) throw new Error(`no beep paired with a flash (${s.beeps.length} beeps heard, ${s.flashes.length} flashes seen)`);
    offsets.sort((a, c) => a - c);
    record(section, what, `${ms(percentile(offsets, 50))} / ${ms(offsets[0]!)} / ${ms(offsets.at(-1)!)}`, `${offsets.length} pairs (${s.beeps.length} beeps heard, ${s.flashes.length} flashes seen); within ~10 ms (256-sample audio blocks, frame times)`);
  } catch (e) {
    failed(section, what, e);
  }
}

/** Clicks on the marker through the room page (noVNC), and finds the first frame showing each press. */
export async function inputToPhoton(section: string, v: Viewer): Promise<void> {
  const what = `input-to-photon p50 (${CLICKS} clicks)`;
  try {
    const driving = () => v.page.evaluate(`!!document.querySelector('.room-app.driving.input-on')`) as Promise<boolean>;
    if (!(await driving())) {
      await v.page.evaluate(`document.querySelector('.control-btn')?.click()`);
      await waitFor('control (".room-app.driving.input-on")', driving, (d) => d, 20_000);
    }
    await sleep(500);
    const at = (await v.page.evaluate(`(() => {
      const v = document.querySelector('video.media') || document.querySelector('video');
      const r = v.getBoundingClientRect();
      const scale = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
      const w = v.videoWidth * scale, h = v.videoHeight * scale;
      const left = r.left + (r.width - w) / 2, top = r.top + (r.height - h) / 2;
      return { x: left + ${(MARKER.left + MARKER.width / 2) / SCREEN.width} * w, y: top + ${(MARKER.top + MARKER.height / 2) / SCREEN.height} * h };
    })()`)) as { x: number; y: number };
    const before = await v.state();
    const c0 = before.lastCount;
    if (c0 === null) throw new Error('the press counter is not readable in the picture');
    const pressed0 = before.presses.length;
    const nodeTimes: number[] = [];
    for (let i = 0; i < CLICKS; i++) {
      nodeTimes.push(Date.now());
      await v.page.mouse.click(at.x, at.y);
      await sleep(CLICK_SPACING_MS);
    }
    const want = (c0 + CLICKS) % 256;
    const s = await waitFor('the last press to show', () => v.state(), (st) => String(want) in st.counts, 15_000).catch(async () => v.state());
    const pressTimes = s.presses.slice(pressed0);
    const times = pressTimes.length === CLICKS ? pressTimes : nodeTimes;
    const lat: number[] = [];
    for (let k = 1; k <= CLICKS; k++) {
      // Press k shows in the first frame whose counter is k or more (a slow viewer skips counts).
      const seen = Array.from({ length: CLICKS - k + 1 }, (_, j) => s.counts[String((c0 + k + j) % 256)]).filter((t): t is number => t !== undefined);
      if (seen.length > 0) lat.push(Math.min(...seen) - times[k - 1]!);
    }
    if (lat.length === 0) throw new Error(`no press showed in the picture (counter stayed ${s.lastCount}; the page saw ${pressTimes.length} pointerdowns; driving: ${await driving()})`);
    lat.sort((a, c) => a - c);
    record(section, what, ms(percentile(lat, 50)), `${lat.length}/${CLICKS} presses seen, p95 ${ms(percentile(lat, 95))}, min ${ms(lat[0]!)}; click time ${times === pressTimes ? 'from the page' : 'from Node'}`);
  } catch (e) {
    failed(section, what, e);
  }
}
