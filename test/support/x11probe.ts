/**
 * A tiny X11 client, as a script for `node -e` run INSIDE a room (the appliance has node but no
 * X tools): `nsenter -t <xvfb pid> -m node -e X11_PROBE <display> <command...>`, where the room's
 * private /tmp holds its X socket. Commands (results as one JSON line on stdout):
 *   windows                 mapped top-level windows: [{ id, name }] (Chromium names its window
 *                           after the page title)
 *   keys KEYCODE+KEYCODE..  presses the chord through XTEST and releases it in reverse order
 *   click X Y               moves the pointer and clicks button 1 through XTEST
 * It speaks the X protocol directly (connection setup, QueryTree, GetWindowAttributes,
 * GetProperty WM_NAME, QueryExtension XTEST, FakeInput) so it needs nothing installed.
 * Keycodes are Xvfb's default (evdev) map, e.g. 37 Control_L, 50 Shift_L, 96 F12, 31 i, 33 p.
 */
export const X11_PROBE = String.raw`
const net = require('node:net');
const [display, cmd, ...args] = process.argv.slice(1);
const sock = net.connect('/tmp/.X11-unix/X' + display);
let buf = Buffer.alloc(0); let waiters = []; let seq = 0;
sock.on('data', (d) => { buf = Buffer.concat([buf, d]); pump(); });
sock.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); process.exit(2); });
function pump() {
  while (waiters.length) {
    const w = waiters[0]; const n = w.need(buf); if (n === null || buf.length < n) return;
    waiters.shift(); const msg = buf.subarray(0, n); buf = buf.subarray(n); w.resolve(msg);
  }
}
const read = (need) => new Promise((resolve) => { waiters.push({ need, resolve }); pump(); });
// Replies are 32 bytes + 4*length; events (type >= 2) are 32 bytes and skipped; errors (0) fail.
async function reply() {
  for (;;) {
    const m = await read((b) => (b.length < 8 ? null : b[0] === 1 ? 32 + 4 * b.readUInt32LE(4) : 32));
    if (m[0] === 1) return m;
    if (m[0] === 0) throw new Error('X error ' + m[1] + ' for request ' + m[10]);
  }
}
function req(op, data, minor = 0) { const len = 4 + data.length; const h = Buffer.alloc(4); h[0] = op; h[1] = minor; h.writeUInt16LE(len / 4, 2); sock.write(Buffer.concat([h, data])); seq++; }
const u32 = (...v) => { const b = Buffer.alloc(4 * v.length); v.forEach((x, i) => b.writeUInt32LE(x >>> 0, 4 * i)); return b; };
(async () => {
  sock.write(Buffer.from([0x6c, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  const head = await read((b) => (b.length < 8 ? null : 8 + 4 * b.readUInt16LE(6)));
  if (head[0] !== 1) throw new Error('X connection refused');
  const vlen = head.readUInt16LE(24), nformats = head[29];
  const root = head.readUInt32LE(40 + Math.ceil(vlen / 4) * 4 + 8 * nformats);
  let out;
  if (cmd === 'windows') {
    req(15, u32(root));
    const t = await reply(); const n = t.readUInt16LE(16); const kids = [];
    for (let i = 0; i < n; i++) kids.push(t.readUInt32LE(32 + 4 * i));
    out = [];
    for (const w of kids) {
      req(3, u32(w)); const a = await reply();
      if (a[26] !== 2) continue; // not viewable
      req(20, u32(w, 39, 0, 0, 1024)); const p = await reply(); // WM_NAME, any type
      const len = p.readUInt32LE(16) * (p[1] / 8);
      out.push({ id: w, name: p.subarray(32, 32 + len).toString('utf8') });
    }
  } else {
    const name = Buffer.from('XTEST'); const pad = Buffer.alloc((4 - (name.length % 4)) % 4);
    const q = Buffer.alloc(4); q.writeUInt16LE(name.length, 0);
    req(98, Buffer.concat([q, name, pad])); const e = await reply();
    if (!e[8]) throw new Error('no XTEST');
    const major = e[9];
    const fake = (type, detail, x = 0, y = 0) => { const d = Buffer.alloc(32); d[0] = type; d[1] = detail; d.writeUInt32LE(0, 4); d.writeUInt32LE(type === 6 ? root : 0, 8); d.writeInt16LE(x, 20); d.writeInt16LE(y, 22); req(major, d.subarray(0, 32), 2); };
    if (cmd === 'keys') {
      const codes = args[0].split('+').map(Number);
      for (const c of codes) fake(2, c);
      for (const c of [...codes].reverse()) fake(3, c);
    } else if (cmd === 'click') {
      fake(6, 0, Number(args[0]), Number(args[1])); fake(4, 1); fake(5, 1);
    }
    req(43, Buffer.alloc(0)); await reply(); // GetInputFocus: a round trip, so the server has them all
    out = { ok: true };
  }
  console.log(JSON.stringify(out)); sock.end(); process.exit(0);
})().catch((e) => { console.log(JSON.stringify({ error: e.message })); process.exit(1); });
`;
