/**
 * Where a fast-path frame's time goes, measured in the viewer without changing the app: an init
 * script (context.addInitScript) wraps what the room page uses,
 * - WebSocket: a 'message' listener added in the constructor, so it runs before the page's own
 *   onmessage, notes when each binary video message arrives and reads its 20-byte header
 *   (server/media/wire.ts: pts µs at byte 4, the relay's receive time ms at byte 12, f64 BE);
 * - VideoDecoder: decode() notes when each chunk goes in (by timestamp), and the output callback
 *   notes when its frame comes out, then hands the frame on at once and reads the clock page's
 *   time from a clone of the decoded VideoFrame itself (its luma plane, copyTo), so every stage is tied
 *   to the moment the room's page drew that picture;
 * and viewerScript.ts notes, for each presented frame, the time it decoded and when it was
 * presented (requestVideoFrameCallback). Per frame, on one clock (the appliance, the room's
 * kiosk and the viewer's namespace all run on this machine's clock):
 *   capture           clock drawn → x11grab took the picture (pts + the encoder's start offset)
 *   encode + ingest   → the relay received it (header receive time)
 *   relay out + net   → the page's WebSocket message event
 *   page → decoder    → VideoDecoder.decode() (the page's parsing and queueing)
 *   decode            → VideoDecoder output
 *   present           → requestVideoFrameCallback (MediaStreamTrackGenerator, compositor)
 * The stages add up exactly to that frame's glass-to-glass time. The one estimate: ffmpeg runs
 * with -copyts -avoid_negative_ts make_zero, so pts is the capture's wall-clock time minus an
 * offset the page cannot see; it is taken as the smallest (receive time - pts) in the window, i.e.
 * encode + ingest is counted from its fastest frame (a lower bound) and capture is an upper bound.
 * Capture + encode + ingest together is exact.
 */
import { BLOCK, SCREEN, TIME_BITS, TIME_ROW } from './clockPage.js';
import { ms, percentile, record } from './report.js';

/** One decoded video frame, as the init script saw it (times in ms since the epoch). */
export interface StageRecord {
  /** The clock page's time in the picture, mod 2^40 (as viewerScript.ts decodes it). */
  clock: number;
  ptsUs: number;
  relayReceivedAt: number | null;
  arrivedAt: number | null;
  decodeInAt: number | null;
  decodeOutAt: number;
}

export interface StageState {
  on: boolean;
  records: StageRecord[];
  /** Decoded frames whose clock could not be read; time spent reading clocks (ms, main thread). */
  unread: number;
  readMs: number;
  read: number;
}

export const STAGES_SCRIPT = `(() => {
  if (window.__stages) return;
  const S = window.__stages = { on: false, records: [], unread: 0, readMs: 0, read: 0 };
  const now = () => performance.timeOrigin + performance.now();
  const cap = (m) => { if (m.size > 400) m.delete(m.keys().next().value); };
  const arrived = new Map(), decodeIn = new Map();
  const OrigWS = window.WebSocket;
  if (OrigWS) {
    const WS = function (...args) {
      const ws = new OrigWS(...args);
      ws.addEventListener('message', (e) => {
        if (!S.on || !(e.data instanceof ArrayBuffer) || e.data.byteLength < 20) return;
        const v = new DataView(e.data);
        if (v.getUint8(0) !== 1) return; // video only
        arrived.set(Math.round(v.getFloat64(4)), [now(), v.getFloat64(12)]);
        cap(arrived);
      });
      return ws;
    };
    WS.prototype = OrigWS.prototype;
    for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) WS[k] = OrigWS[k];
    window.WebSocket = WS;
  }
  const B = ${BLOCK}, SW = ${SCREEN.width}, H = B / 2, BITS = ${TIME_BITS}, P40 = 2 ** 40;
  const canvas = document.createElement('canvas');
  canvas.width = BITS * H; canvas.height = 2 * H;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  function luma(d, w, cx, cy) {
    let s = 0;
    for (let y = cy - 4; y < cy + 4; y++) for (let x = cx - 4; x < cx + 4; x++) { const i = (y * w + x) * 4; s += d[i] * 0.3 + d[i + 1] * 0.59 + d[i + 2] * 0.11; }
    return s / 64;
  }
  // The luma plane of the time row only (VideoFrame.copyTo with a rect: no colour conversion, no full-frame copy).
  let buf = null;
  async function clockFromY(frame) {
    const k = frame.displayWidth / SW, even = (v) => Math.round(v / 2) * 2;
    const rect = { x: even(${TIME_ROW.left} * k), y: even(${TIME_ROW.top} * k), width: even(BITS * B * k), height: even(2 * B * k) };
    const size = frame.allocationSize({ rect });
    if (!buf || buf.length < size) buf = new Uint8Array(size);
    const [y] = await frame.copyTo(buf, { rect });
    const at = (cx, cy) => { let s = 0; for (let j = cy - 4; j < cy + 4; j++) for (let i = cx - 4; i < cx + 4; i++) s += buf[y.offset + j * y.stride + i]; return s / 64; };
    let v = 0;
    for (let i = 0; i < BITS; i++) {
      const cx = Math.round((i * B + B / 2) * k);
      const up = at(cx, Math.round(B / 2 * k)), down = at(cx, Math.round(B * 1.5 * k));
      if (Math.abs(up - down) < 50) return null;
      if (up > down) v += 2 ** i;
    }
    return v;
  }
  function clockOf(frame) {
    const k = frame.displayWidth / SW;
    g.drawImage(frame, ${TIME_ROW.left} * k, ${TIME_ROW.top} * k, BITS * B * k, 2 * B * k, 0, 0, canvas.width, canvas.height);
    const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
    let v = 0;
    for (let i = 0; i < BITS; i++) {
      const cx = i * H + H / 2;
      const up = luma(d, canvas.width, cx, H / 2), down = luma(d, canvas.width, cx, H + H / 2);
      if (Math.abs(up - down) < 60) return null;
      if (up > down) v += 2 ** i;
    }
    return v;
  }
  const OrigVD = window.VideoDecoder;
  if (OrigVD) {
    class VD extends OrigVD {
      constructor(init) {
        const output = init.output;
        super({ ...init, output: (frame) => {
          const out = now();
          let copy = null;
          if (S.on) { try { copy = frame.clone(); } catch (e) {} }
          output(frame); // the page gets its frame first; the clock is read afterwards
          if (!copy) return;
          const t0 = now();
          const ts = copy.timestamp, a = arrived.get(ts), din = decodeIn.get(ts) ?? null;
          const planar = /^(I420|I420A|NV12|I422|I444)$/.test(copy.format || '');
          (planar ? clockFromY(copy) : Promise.resolve(clockOf(copy))).then((clock) => {
            if (clock === null) S.unread++;
            else if (S.records.length < 20000) S.records.push({ clock, ptsUs: ts, relayReceivedAt: a ? a[1] : null, arrivedAt: a ? a[0] : null, decodeInAt: din, decodeOutAt: out });
          }).catch(() => { S.unread++; }).finally(() => { copy.close(); S.readMs += now() - t0; S.read++; });
        } });
      }
      decode(chunk) {
        if (S.on) { decodeIn.set(chunk.timestamp, now()); cap(decodeIn); }
        return super.decode(chunk);
      }
    }
    window.VideoDecoder = VD;
  }
})()`;

const P40 = 2 ** 40;

/** Records the stage rows for the frames seen in `records` and presented in `shown` ([clock, presentedAt]). */
export function stageRows(section: string, records: StageRecord[], shown: Array<[number, number]>, unread: number, readMsPerFrame: number): void {
  const presentedAt = new Map<number, number>();
  for (const [clock, at] of shown) if (!presentedAt.has(clock)) presentedAt.set(clock, at);
  const full = records.filter((r) => r.relayReceivedAt !== null && r.arrivedAt !== null && r.decodeInAt !== null && presentedAt.has(r.clock));
  if (full.length < 10) {
    record(section, 'per-stage times', 'FAILED', `only ${full.length} frames traced end to end (${records.length} decoded with a clock, ${unread} unreadable, ${shown.length} presented)`);
    return;
  }
  const offset = Math.min(...full.map((r) => r.relayReceivedAt! - r.ptsUs / 1000));
  const stages: Record<string, number[]> = { capture: [], 'encode + ingest': [], 'relay out + network': [], 'page → decoder': [], decode: [], present: [], 'capture + encode + ingest (exact)': [], 'sum = glass to glass': [] };
  for (const r of full) {
    const present = presentedAt.get(r.clock)!;
    // The absolute time the clock showed: the presentation time less the (mod 2^40) difference.
    const drawn = present - ((((present % P40) - r.clock) % P40) + P40) % P40;
    const captured = r.ptsUs / 1000 + offset;
    stages.capture!.push(captured - drawn);
    stages['encode + ingest']!.push(r.relayReceivedAt! - captured);
    stages['relay out + network']!.push(r.arrivedAt! - r.relayReceivedAt!);
    stages['page → decoder']!.push(r.decodeInAt! - r.arrivedAt!);
    stages.decode!.push(r.decodeOutAt - r.decodeInAt!);
    stages.present!.push(present - r.decodeOutAt);
    stages['capture + encode + ingest (exact)']!.push(r.relayReceivedAt! - drawn);
    stages['sum = glass to glass']!.push(present - drawn);
  }
  let sumP50 = 0;
  for (const [name, values] of Object.entries(stages)) {
    values.sort((a, b) => a - b);
    const p50 = percentile(values, 50);
    if (['capture', 'encode + ingest', 'relay out + network', 'page → decoder', 'decode', 'present'].includes(name)) sumP50 += p50;
    const note = name === 'capture' ? 'upper bound: pts + offset, offset from the fastest frame' : name === 'encode + ingest' ? 'lower bound (counted from its fastest frame)' : name === 'present' ? `the instrumentation reads each clock from the luma plane after handing the frame on (${readMsPerFrame.toFixed(1)} ms/frame, async)` : '';
    record(section, `  stage ${name}: p50 / p95`, `${ms(p50)} / ${ms(percentile(values, 95))}`, note);
  }
  record(section, '  sum of the stage p50s', ms(sumP50), `${full.length} frames traced end to end (of ${records.length} decoded with a readable clock, ${unread} unreadable)`);
}
