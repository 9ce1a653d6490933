/** The VNC gateway's client-stream filter and key guard, as pure functions of the bytes. */
import { describe, expect, it } from 'vitest';
import { CLOSE, RfbClientFilter, type FilterEvent } from '../../server/vnc/filter.js';
import { KeyGuard, isBlockedChord } from '../../server/vnc/keys.js';
import { keyEvent, pointerEvent } from '../../server/vnc/rfb.js';

const setPixelFormat = () => Buffer.from([0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
function setEncodings(...encs: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * encs.length);
  b[0] = 2;
  b.writeUInt16BE(encs.length, 2);
  encs.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
  return b;
}
function fbur(incremental: boolean, w = 1920, h = 1080): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 3;
  b[1] = incremental ? 1 : 0;
  b.writeUInt16BE(w, 6);
  b.writeUInt16BE(h, 8);
  return b;
}
function cutText(text: string | Buffer, length?: number): Buffer {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const b = Buffer.alloc(8);
  b[0] = 6;
  b.writeUInt32BE(length ?? body.length, 4);
  return Buffer.concat([b, body]);
}

const summary = (events: FilterEvent[]) => events.map((e) => (e.kind === 'dropped' ? e.what : e.kind === 'key' ? `key ${e.keysym.toString(16)} ${e.down ? 'down' : 'up'}` : e.kind === 'pointer' ? `pointer ${e.x},${e.y} ${e.buttonMask}` : `cut ${e.text.toString()}`));

/** Feeds the stream in pieces of `size` bytes and collects everything. */
function feed(filter: RfbClientFilter, stream: Buffer, size: number) {
  const events: FilterEvent[] = [];
  let error = null;
  for (let i = 0; i < stream.length && !error; i += size) {
    const r = filter.push(stream.subarray(i, i + size));
    events.push(...r.events);
    error = r.error;
  }
  return { events, error };
}

describe('RFB client filter', () => {
  const stream = Buffer.concat([
    setPixelFormat(),
    setEncodings(0, 1, -239, -223, 0xc0a1e5ce | 0),
    fbur(false),
    keyEvent(0x61, true),
    keyEvent(0x61, false),
    pointerEvent(777, 333, 1),
    cutText('hello'),
    fbur(true),
    pointerEvent(0, 65535, 0),
  ]);
  const expected = ['set-pixel-format', 'set-encodings', 'fb-update-request', 'key 61 down', 'key 61 up', 'pointer 777,333 1', 'cut-text', 'fb-update-request', 'pointer 0,65535 0'];

  it('passes keys and pointer, drops pixel format, encodings, update requests and (clipboard off) cut text, at any split', () => {
    for (const size of [1, 2, 3, 5, 7, 19, 20, 21, 64, stream.length]) {
      const { events, error } = feed(new RfbClientFilter(), stream, size);
      expect(error, `split ${size}`).toBeNull();
      expect(summary(events), `split ${size}`).toEqual(expected);
    }
  });

  it('re-encodes what it forwards: only the fields it read reach x11vnc', () => {
    const dirty = keyEvent(0xff0d, true);
    dirty.writeUInt16BE(0xbeef, 2); // padding with junk
    const { events } = new RfbClientFilter().push(dirty);
    expect(events[0]).toMatchObject({ kind: 'key', keysym: 0xff0d, down: true });
    expect([...(events[0] as { bytes: Buffer }).bytes]).toEqual([...keyEvent(0xff0d, true)]);
  });

  it('passes cut text under the limit only when the room enables the clipboard', () => {
    const f = new RfbClientFilter({ maxEncodings: 64, maxCutText: 16, clipboard: true });
    const { events, error } = feed(f, Buffer.concat([cutText('copied'), cutText(''), keyEvent(0x62, true)]), 3);
    expect(error).toBeNull();
    expect(summary(events)).toEqual(['cut copied', 'cut ', 'key 62 down']);
    expect([...(events[0] as { bytes: Buffer }).bytes]).toEqual([...cutText('copied')]);
  });

  it('closes on a cut text over the limit, extended-clipboard lengths included (1009, before any body)', () => {
    for (const length of [256 * 1024 + 1, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff]) {
      const f = new RfbClientFilter();
      const r = f.push(Buffer.concat([cutText(Buffer.alloc(4), length), keyEvent(0x61, true)]));
      expect(r.error, `length ${length}`).toMatchObject({ code: CLOSE.tooBig });
      expect(r.error!.reason).toMatch(/ClientCutText of \d+ bytes; at most 262144/);
      expect(r.events).toEqual([]); // the key after it never passes
      expect(f.push(keyEvent(0x61, true)).error).toMatchObject({ code: CLOSE.tooBig }); // stays failed
    }
  });

  it('skips a long dropped cut text without buffering it and stays in step', () => {
    const f = new RfbClientFilter();
    const text = Buffer.alloc(60_000, 0x41);
    const { events, error } = feed(f, Buffer.concat([cutText(text), keyEvent(0x63, true)]), 4096);
    expect(error).toBeNull();
    expect(summary(events)).toEqual(['cut-text', 'key 63 down']);
  });

  it('closes on too many encodings (the 262 KB SetEncodings), before reading them', () => {
    const big = Buffer.alloc(4);
    big[0] = 2;
    big.writeUInt16BE(65535, 2);
    const r = new RfbClientFilter().push(big);
    expect(r.error).toMatchObject({ code: CLOSE.tooBig, reason: 'SetEncodings lists 65535 encodings; at most 64' });
    expect(new RfbClientFilter().push(setEncodings(...Array.from({ length: 64 }, (_, i) => i))).error).toBeNull();
  });

  it('closes on any other message type (1002), split or not', () => {
    for (const type of [1, 7, 150, 248, 250, 251, 252, 255]) {
      const r = new RfbClientFilter().push(Buffer.from([type, 0, 0, 0]));
      expect(r.error, `type ${type}`).toMatchObject({ code: CLOSE.protocol, reason: `RFB message type ${type} is not allowed` });
    }
    const f = new RfbClientFilter();
    expect(f.push(keyEvent(0x61, true).subarray(0, 3)).error).toBeNull();
    const r = f.push(Buffer.concat([keyEvent(0x61, true).subarray(3), Buffer.from([255])]));
    expect(summary(r.events)).toEqual(['key 61 down']);
    expect(r.error).toMatchObject({ code: CLOSE.protocol });
  });
});

describe('key guard', () => {
  const CTRL = 0xffe3;
  const SHIFT = 0xffe1;
  const ALT = 0xffe9;
  /** Presses the chord (modifiers then key), releases in reverse; returns which KeyEvents passed. */
  function chord(guard: KeyGuard, ...keys: number[]): string[] {
    const passed: string[] = [];
    for (const k of keys) if (guard.allow(k, true)) passed.push(`${k.toString(16)}+`);
    for (const k of [...keys].reverse()) if (guard.allow(k, false)) passed.push(`${k.toString(16)}-`);
    return passed;
  }

  it('drops the chords that leave the kiosk, and only the key (modifiers still pass)', () => {
    const blocked: Array<[string, number[]]> = [
      ['new window', [CTRL, 0x6e]],
      ['new tab', [CTRL, 0x74]],
      ['incognito', [CTRL, SHIFT, 0x4e]],
      ['incognito, upper-case keysym without Shift (x11vnc adds it)', [CTRL, 0x4e]],
      ['close tab', [CTRL, 0x77]],
      ['close window', [ALT, 0xffc1]],
      ['print', [CTRL, 0x70]],
      ['address bar', [CTRL, 0x6c]],
      ['address bar (Alt+D)', [ALT, 0x64]],
      ['address bar (F6)', [0xffc3]],
      ['view source', [CTRL, 0x75]],
      ['save', [CTRL, 0x73]],
      ['open file', [CTRL, 0x6f]],
      ['downloads', [CTRL, 0x6a]],
      ['history', [CTRL, 0x68]],
      ['DevTools F12', [0xffc9]],
      ['DevTools Ctrl+Shift+I', [CTRL, SHIFT, 0x49]],
      ['DevTools Ctrl+Shift+J', [CTRL, SHIFT, 0x4a]],
      ['DevTools Ctrl+Shift+C', [CTRL, SHIFT, 0x43]],
      ['quit', [CTRL, SHIFT, 0x51]],
      ['task manager', [SHIFT, 0xff1b]],
      ['VT switch', [CTRL, ALT, 0xffbf]],
      ['XF86HomePage', [0x1008ff18]],
      ['Unicode keysym for n', [CTRL, 0x0100006e]],
    ];
    for (const [what, keys] of blocked) {
      const passed = chord(new KeyGuard(), ...keys);
      const mods = keys.slice(0, -1);
      expect(passed, what).toEqual([...mods.map((k) => `${k.toString(16)}+`), ...[...mods].reverse().map((k) => `${k.toString(16)}-`)]);
    }
  });

  it('lets typing and editing through', () => {
    const allowed: Array<[string, number[]]> = [
      ['a', [0x61]],
      ['A', [SHIFT, 0x41]],
      ['copy', [CTRL, 0x63]],
      ['paste', [CTRL, 0x76]],
      ['undo', [CTRL, 0x7a]],
      ['redo', [CTRL, SHIFT, 0x5a]],
      ['select all', [CTRL, 0x61]],
      ['find', [CTRL, 0x66]],
      ['reload', [CTRL, 0x72]],
      ['back', [ALT, 0xff51]],
      ['AltGr as Ctrl+Alt + q (@)', [CTRL, ALT, 0x71]],
      ['Enter', [0xff0d]],
      ['F5', [0xffc2]],
    ];
    for (const [what, keys] of allowed) expect(chord(new KeyGuard(), ...keys), what).toHaveLength(keys.length * 2);
  });

  it('drops a held key that repeats once Ctrl joins it, and the up of a dropped down', () => {
    const g = new KeyGuard();
    expect(g.allow(0x6e, true)).toBe(true); // n down: typing
    expect(g.allow(CTRL, true)).toBe(true);
    expect(g.allow(0x6e, true)).toBe(false); // auto-repeat under Ctrl: would be Ctrl+N
    expect(g.allow(0x6e, false)).toBe(true); // its up passes: it is down in the session
    expect(g.allow(0x74, true)).toBe(false); // Ctrl+T
    expect(g.allow(CTRL, false)).toBe(true);
    expect(g.allow(0x74, false)).toBe(false); // the dropped down's up, after Ctrl went
    expect(g.held).toEqual([]);
  });

  it('knows nothing is blocked without the modifiers', () => {
    expect(isBlockedChord(0x6e, { ctrl: false, shift: false, alt: false })).toBe(false);
    expect(isBlockedChord(0x6e, { ctrl: true, shift: false, alt: false })).toBe(true);
  });
});
