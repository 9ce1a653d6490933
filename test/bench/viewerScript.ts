/**
 * The decoder that runs inside the viewer page (the room page in headless Chromium). It hooks the
 * player's <video class="media"> (again whenever the player replaces it), and for every presented
 * frame (requestVideoFrameCallback) crops the clock page's rows out of the frame, decodes the time
 * and the press counter, and keeps:
 * - delays: Date.now() at presentation minus the decoded time, while `collecting` is on;
 * - the first presented frame's time (any frame, decodable or not);
 * - counts: the first presentation time at which each press count was seen;
 * - presses: Date.now() of every pointerdown the viewer page itself received (capture phase,
 *   before noVNC sees it).
 * It is a plain string so that no bundler helper leaks into page.evaluate.
 */
import { BLOCK, COUNT_BITS, COUNT_ROW, FLASH, SCREEN, TIME_BITS, TIME_ROW } from './clockPage.js';

export interface BenchState {
  collecting: boolean;
  delays: number[];
  presented: number;
  undecodable: number;
  firstFrameAt: number | null;
  /** The first presented frame that showed the clock page (decodable time). */
  firstDecodedAt: number | null;
  hooked: number;
  counts: Record<string, number>;
  lastCount: number | null;
  presses: number[];
  videoSize: string;
  errors: string[];
  /** Presentation times of frames where the clock page's flash turned on. */
  flashes: number[];
  /** Times the beep started in the player's sound (after window.__benchListen()). */
  beeps: number[];
  /** While collecting: the longest time between two presented frames, and the gaps over 500 ms (stalls). */
  maxGapMs: number;
  stalls: number[];
  /** While collecting: [decoded time mod 2^40, presentation time] of each decodable frame (stages.ts joins on it). */
  shown: Array<[number, number]>;
}

export const VIEWER_SCRIPT = `(() => {
  if (window.__bench) return;
  const st = window.__bench = { collecting: false, delays: [], presented: 0, undecodable: 0, firstFrameAt: null, firstDecodedAt: null, hooked: 0, counts: {}, lastCount: null, presses: [], videoSize: '', errors: [], flashes: [], beeps: [], maxGapMs: 0, stalls: [], shown: [] };
  let lastPresentedAt = 0;
  const flashCanvas = document.createElement('canvas');
  flashCanvas.width = flashCanvas.height = 8;
  const fg = flashCanvas.getContext('2d', { willReadFrequently: true });
  let flashOn = false;
  function flashLit(video) {
    const k = video.videoWidth / SW;
    fg.drawImage(video, (${FLASH.left} + ${FLASH.width / 4}) * k, (${FLASH.top} + ${FLASH.height / 4}) * k, ${FLASH.width / 2} * k, ${FLASH.height / 2} * k, 0, 0, 8, 8);
    const d = fg.getImageData(0, 0, 8, 8).data;
    let s = 0;
    for (let i = 0; i < d.length; i += 4) s += d[i + 1];
    return s / 64 > 128;
  }
  // Listens to the player's own sound (the <video>'s MediaStream, the MSE path's own <audio>, or
  // the <video> itself for HLS) and notes when each beep starts: 256-sample blocks, so within ~5 ms.
  window.__benchListen = () => {
    if (window.__benchAudio) return; // already listening to this page's player
    const video = document.querySelector('video.media') || document.querySelector('video');
    const element = document.querySelector('audio.media-sound') || video;
    const ac = new AudioContext();
    if (!video.srcObject) { element.muted = false; element.volume = 1; } // a muted element feeds silence
    const src = video.srcObject ? ac.createMediaStreamSource(new MediaStream(video.srcObject.getAudioTracks())) : ac.createMediaElementSource(element);
    const proc = ac.createScriptProcessor(256, 2, 1);
    let loud = false;
    proc.onaudioprocess = (e) => {
      const x = e.inputBuffer.getChannelData(0);
      let sum = 0;
      for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
      const rms = Math.sqrt(sum / x.length);
      if (!loud && rms > 0.1) { loud = true; st.beeps.push(Date.now()); }
      else if (loud && rms < 0.02) loud = false;
    };
    src.connect(proc);
    proc.connect(ac.destination);
    if (!video.srcObject) src.connect(ac.destination);
    window.__benchAudio = ac;
  };
  const B = ${BLOCK}, SW = ${SCREEN.width}, P40 = 2 ** 40;
  const rows = {
    time: { left: ${TIME_ROW.left}, top: ${TIME_ROW.top}, bits: ${TIME_BITS} },
    count: { left: ${COUNT_ROW.left}, top: ${COUNT_ROW.top}, bits: ${COUNT_BITS} },
  };
  // Each row (and its inverted twin) is drawn at half a block per canvas pixel: block = 20 px.
  const H = B / 2;
  for (const r of Object.values(rows)) {
    r.canvas = document.createElement('canvas');
    r.canvas.width = r.bits * H; r.canvas.height = 2 * H;
    r.g = r.canvas.getContext('2d', { willReadFrequently: true });
  }
  addEventListener('pointerdown', () => st.presses.push(Date.now()), true);
  function luma(d, w, cx, cy) {
    // Mean of a 8x8 patch around (cx, cy): the block's middle, away from its blurred edges.
    let s = 0;
    for (let y = cy - 4; y < cy + 4; y++) for (let x = cx - 4; x < cx + 4; x++) { const i = (y * w + x) * 4; s += d[i] * 0.3 + d[i + 1] * 0.59 + d[i + 2] * 0.11; }
    return s / 64;
  }
  function decode(video, r) {
    const k = video.videoWidth / SW;
    r.g.drawImage(video, r.left * k, r.top * k, r.bits * B * k, 2 * B * k, 0, 0, r.canvas.width, r.canvas.height);
    const d = r.g.getImageData(0, 0, r.canvas.width, r.canvas.height).data;
    let v = 0;
    for (let i = 0; i < r.bits; i++) {
      const cx = i * H + H / 2;
      const up = luma(d, r.canvas.width, cx, H / 2), down = luma(d, r.canvas.width, cx, H + H / 2);
      if (Math.abs(up - down) < 60) return null;
      if (up > down) v += 2 ** i;
    }
    return v;
  }
  function onFrame(video) {
    const now = Date.now();
    st.presented++;
    if (st.firstFrameAt === null) st.firstFrameAt = now;
    if (st.collecting && lastPresentedAt > 0) {
      const gap = now - lastPresentedAt;
      if (gap > st.maxGapMs) st.maxGapMs = gap;
      if (gap > 500) st.stalls.push(gap);
    }
    lastPresentedAt = now;
    if (!video.videoWidth) return;
    st.videoSize = video.videoWidth + 'x' + video.videoHeight;
    try {
      const t = decode(video, rows.time);
      if (t === null) { st.undecodable++; }
      else {
        let delay = ((now % P40) - t + P40) % P40;
        if (delay > P40 / 2) delay -= P40;
        if (delay < -2000 || delay > 120000) st.undecodable++;
        else {
          if (st.firstDecodedAt === null) st.firstDecodedAt = now;
          if (st.collecting) { st.delays.push(delay); if (st.shown.length < 20000) st.shown.push([t, now]); }
        }
      }
      const lit = flashLit(video);
      if (lit && !flashOn) st.flashes.push(now);
      flashOn = lit;
      const c = decode(video, rows.count);
      if (c !== null && c !== st.lastCount) {
        st.lastCount = c;
        if (!(c in st.counts)) st.counts[c] = now;
      }
    } catch (e) {
      if (st.errors.length < 5) st.errors.push(String(e));
    }
  }
  let hooked = null;
  function hook() {
    const video = document.querySelector('video.media') || document.querySelector('video');
    if (!video || video === hooked || !('requestVideoFrameCallback' in video)) return;
    hooked = video; st.hooked++;
    const cb = () => { if (hooked !== video) return; onFrame(video); video.requestVideoFrameCallback(cb); };
    video.requestVideoFrameCallback(cb);
  }
  setInterval(hook, 50);
  hook();
})()`;
