/**
 * The page the benchmark's room opens: it draws the current time, every animation frame, as a
 * machine-readable pattern, and counts the pointer presses it receives (input-to-photon).
 *
 * Layout, in CSS px of the room's 1920x1080 kiosk window (DPR 1, so also pixels of the stream):
 * - TIME row: 40 blocks of BLOCK x BLOCK, bit i (LSB first) of Date.now() mod 2^40, white = 1;
 *   right below it the same 40 blocks inverted. A bit is read as "upper brighter than lower", and a
 *   frame counts only if every pair differs clearly: a guard against compression blur and against
 *   a capture taken while the page was half redrawn.
 * - COUNT row: 8 blocks (with their inverted row) holding the number of pointer presses mod 256.
 * - MARKER: a large square that flips black/white on every press (what a human sees), and the
 *   click target. The pointer is hidden (cursor: none) so x11grab does not paint it over the pattern.
 * - FLASH: a square that turns white for 150 ms at every whole second, while the page plays a
 *   1 kHz beep (A/V sync: the viewer times both and pairs them).
 * The rest is mid grey, static, so the page is light for the encoder.
 *
 * Served from the host on loopback (the appliance container shares the host's network).
 */
import { createServer, type Server } from 'node:http';
import { serveFromNetns } from '../support/netnsPortal.js';

export const SCREEN = { width: 1920, height: 1080 };
export const BLOCK = 40;
export const TIME_BITS = 40;
export const COUNT_BITS = 8;
/** Top-left of the first block of each row (its inverted twin is BLOCK px below). */
export const TIME_ROW = { left: 160, top: 80 };
export const COUNT_ROW = { left: 160, top: 240 };
export const MARKER = { left: 760, top: 480, width: 400, height: 300 };
export const FLASH = { left: 1500, top: 480, width: 240, height: 240 };

const clockHtml = `<!doctype html><meta charset="utf-8"><title>clock</title>
<style>
html,body{margin:0;width:100%;height:100%;overflow:hidden;background:#808080;cursor:none}
canvas,#marker{position:absolute;display:block}
#marker{left:${MARKER.left}px;top:${MARKER.top}px;width:${MARKER.width}px;height:${MARKER.height}px;background:#000}
#flash{position:absolute;left:${FLASH.left}px;top:${FLASH.top}px;width:${FLASH.width}px;height:${FLASH.height}px;background:#000}
#t{position:absolute;left:${TIME_ROW.left}px;top:${COUNT_ROW.top + 3 * BLOCK}px;font:32px monospace;color:#fff}
</style>
<canvas id="time" width="${TIME_BITS * BLOCK}" height="${2 * BLOCK}" style="left:${TIME_ROW.left}px;top:${TIME_ROW.top}px"></canvas>
<canvas id="count" width="${COUNT_BITS * BLOCK}" height="${2 * BLOCK}" style="left:${COUNT_ROW.left}px;top:${COUNT_ROW.top}px"></canvas>
<div id="marker"></div>
<div id="flash"></div>
<div id="t"></div>
<script>
const B = ${BLOCK}, P40 = 2 ** 40;
const tg = document.getElementById('time').getContext('2d');
const cg = document.getElementById('count').getContext('2d');
const marker = document.getElementById('marker');
const label = document.getElementById('t');
let presses = 0;
function row(g, value, bits) {
  for (let i = 0; i < bits; i++) {
    const bit = Math.floor(value / 2 ** i) % 2;
    g.fillStyle = bit ? '#fff' : '#000'; g.fillRect(i * B, 0, B, B);
    g.fillStyle = bit ? '#000' : '#fff'; g.fillRect(i * B, B, B, B);
  }
}
const flash = document.getElementById('flash');
const ac = new AudioContext();
setInterval(() => { if (ac.state !== 'running') ac.resume(); }, 500);
let second = Math.floor(Date.now() / 1000);
function beep() {
  const o = ac.createOscillator(), g = ac.createGain();
  o.frequency.value = 1000; g.gain.value = 0.8;
  o.connect(g).connect(ac.destination);
  o.start(); o.stop(ac.currentTime + 0.08);
}
function frame() {
  const now = Date.now();
  row(tg, now % P40, ${TIME_BITS});
  // Picture and sound of one instant: both start in the same frame, at each whole second.
  if (Math.floor(now / 1000) !== second) { second = Math.floor(now / 1000); flash.style.background = '#fff'; beep(); }
  else if (now % 1000 > 150) flash.style.background = '#000';
  requestAnimationFrame(frame);
}
function press() {
  presses++;
  row(cg, presses % 256, ${COUNT_BITS});
  marker.style.background = presses % 2 ? '#fff' : '#000';
  label.textContent = 'presses ' + presses;
}
row(cg, 0, ${COUNT_BITS});
// x11vnc's pointer events arrive as X button presses: Chromium fires pointerdown then mousedown.
addEventListener('pointerdown', press, true);
requestAnimationFrame(frame);
</script>`;

export interface ClockServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the clock page at /clock from a network namespace's address (test/support/netnsPortal.ts). */
export async function startClockServer(): Promise<ClockServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/clock') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(clockHtml);
  });
  // From an "internet" host: the room's browser may not reach this machine's addresses.
  const portal = await serveFromNetns(server, 'clock');
  return { url: `${portal.origin}/clock`, close: () => portal.close() };
}
