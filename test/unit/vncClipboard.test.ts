/**
 * The clipboard through the VNC gateway (issue 14), as pure functions of the bytes: x11vnc's
 * ServerCutText read at any split and under the size limit, and the session's rules (copy out only
 * when the room allows it and the browser is past its handshake, no echo of the driver's own paste,
 * paste in only when allowed).
 */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ServerMessageReader, serverCutText, type ServerEvent } from '../../server/vnc/serverCut.js';
import { VncSession, type BrowserSide, type SessionSummary } from '../../server/vnc/session.js';
import { DEFAULT_FILTER } from '../../server/vnc/filter.js';
import { clipboardMode } from '../../server/rooms/clipboard.js';

const cut = (text: string) => serverCutText(Buffer.from(text, 'latin1'));
const BELL = Buffer.from([2]);

function readAll(reader: ServerMessageReader, stream: Buffer, size: number): ServerEvent[] {
  const out: ServerEvent[] = [];
  for (let i = 0; i < stream.length; i += size) out.push(...reader.push(stream.subarray(i, i + size)));
  return out;
}
const words = (events: ServerEvent[]) => events.map((e) => (e.kind === 'cut-text' ? `cut ${e.text.toString('latin1')}` : e.kind === 'cut-text-too-long' ? `too long ${e.length}` : e.kind === 'bell' ? 'bell' : `unframed ${e.type}`));

describe('ServerMessageReader', () => {
  it('reads cut texts and bells at any split, and skips a text over the limit without buffering it', () => {
    const stream = Buffer.concat([cut('first'), BELL, cut('x'.repeat(40)), cut(''), cut('déjà vu')]);
    for (const size of [1, 3, 7, 8, 9, stream.length]) {
      expect(words(readAll(new ServerMessageReader(16), stream, size)), `split ${size}`).toEqual(['cut first', 'bell', 'too long 40', 'cut ', 'cut déjà vu']);
    }
  });

  it('stops at a message it cannot frame (pixels nobody asked for), and reads nothing after it', () => {
    const reader = new ServerMessageReader(64);
    const events = readAll(reader, Buffer.concat([cut('a'), Buffer.from([0, 0, 0, 1]), cut('b')]), 5);
    expect(words(events)).toEqual(['cut a', 'unframed 0']);
    expect(reader.unframed).toBe(true);
    expect(reader.push(cut('c'))).toEqual([]);
  });
});

describe('the room setting', () => {
  it('reads rooms made before it existed as driver', () => {
    expect(clipboardMode({})).toBe('driver');
    expect(clipboardMode({ clipboard: 'off' })).toBe('off');
  });
});

/** A session past its handshake, with an in-memory x11vnc side and browser side. */
function session(opts: { copyOut: boolean; clipboard: boolean; handshake?: boolean; pasteSettleMs?: number }) {
  const upstream = Object.assign(new EventEmitter(), {
    written: [] as Buffer[],
    destroyed: false,
    writableLength: 0,
    write(b: Buffer) {
      this.written.push(b);
      return true;
    },
    end() {},
    destroy() {
      this.destroyed = true;
    },
    pause() {},
    resume() {},
  });
  const sent: Buffer[] = [];
  const copies: string[] = [];
  const reading = { paused: false };
  const closed: number[] = [];
  const ended: SessionSummary[] = [];
  const browser: BrowserSide = { send: (d) => void sent.push(Buffer.from(d)), close: (code) => void closed.push(code), bufferedAmount: () => 0, pause: () => void (reading.paused = true), resume: () => void (reading.paused = false) };
  const s = new VncSession(browser, upstream as unknown as Socket, Buffer.from('INIT'), { onInput: () => undefined, onCopy: (t) => void copies.push(t.toString('latin1')), onEnd: (summary) => void ended.push(summary) }, { filter: { ...DEFAULT_FILTER, maxCutText: 32, clipboard: opts.clipboard }, copyOut: opts.copyOut, handshakeMs: 10_000, pasteSettleMs: opts.pasteSettleMs });
  if (opts.handshake !== false) s.fromBrowser(Buffer.concat([Buffer.from('RFB 003.008\n', 'latin1'), Buffer.from([1]), Buffer.from([1])]));
  const handshakeBytes = sent.length;
  return {
    s,
    copies,
    reading,
    closed,
    ended,
    fromRoom: (b: Buffer) => upstream.emit('data', b),
    /** What the browser got after ServerInit. */
    toBrowser: () => Buffer.concat(sent.slice(handshakeBytes)),
    toRoom: () => Buffer.concat(upstream.written),
  };
}

describe('VncSession and the clipboard', () => {
  it('copies out to the driver, re-encoded, and pastes in when the room allows it', () => {
    const t = session({ copyOut: true, clipboard: true });
    t.fromRoom(Buffer.concat([cut('from the room'), BELL]));
    expect(t.toBrowser()).toEqual(cut('from the room'));
    expect(t.copies).toEqual(['from the room']);
    const paste = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 5]), Buffer.from('hello')]);
    t.s.fromBrowser(paste);
    expect(t.toRoom()).toEqual(paste);
    // x11vnc echoes the paste back as ServerCutText, more than once (recentPastes.ts): no copy, not sent back.
    t.fromRoom(cut('hello'));
    t.fromRoom(cut('hello'));
    expect(t.copies).toEqual(['from the room']);
    t.fromRoom(cut('a copy'));
    expect(t.copies).toEqual(['from the room', 'a copy']);
    t.s.end();
  });

  it('holds the input after a paste until the room clipboard settled, in order, and stops reading the browser meanwhile', async () => {
    const t = session({ copyOut: true, clipboard: true, pasteSettleMs: 40 });
    const key = (keysym: number, down: boolean) => Buffer.from([4, down ? 1 : 0, 0, 0, 0, 0, keysym >> 8, keysym & 0xff]);
    const paste = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 2]), Buffer.from('hi')]);
    const before = key(0x61, true);
    const ctrlV = Buffer.concat([key(0xffe3, true), key(0x76, true), key(0x76, false), key(0xffe3, false)]);
    t.s.fromBrowser(Buffer.concat([before, paste, ctrlV])); // one WebSocket message, as the page sends it
    expect(t.toRoom(), 'the key before and the paste go at once').toEqual(Buffer.concat([before, paste]));
    expect(t.reading.paused).toBe(true);
    t.s.fromBrowser(key(0x62, true)); // read by ws before the pause took hold
    await new Promise((r) => setTimeout(r, 20));
    expect(t.toRoom().length, 'nothing more yet').toBe(before.length + paste.length);
    await new Promise((r) => setTimeout(r, 40));
    expect(t.toRoom()).toEqual(Buffer.concat([before, paste, ctrlV, key(0x62, true)]));
    expect(t.reading.paused).toBe(false);
    t.s.fromBrowser(key(0x62, false));
    expect(t.toRoom().subarray(-8), 'no hold without a paste').toEqual(key(0x62, false));
    t.s.end();
  });

  it("ends the hold at the clipboard relay's bell, one bell per paste, and never sends the bell on", () => {
    const t = session({ copyOut: true, clipboard: true, pasteSettleMs: 60_000 });
    const key = (keysym: number, down: boolean) => Buffer.from([4, down ? 1 : 0, 0, 0, 0, 0, keysym >> 8, keysym & 0xff]);
    const paste = (text: string) => Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, text.length]), Buffer.from(text)]);
    t.fromRoom(BELL); // no paste waits for it: nothing to end
    t.s.fromBrowser(Buffer.concat([paste('one'), key(0x61, true), paste('two'), key(0x62, true)]));
    expect(t.toRoom(), 'the first paste goes, the rest waits').toEqual(paste('one'));
    t.fromRoom(BELL); // the first paste's bell
    expect(t.toRoom(), 'one bell for two pastes: still waiting').toEqual(paste('one'));
    expect(t.reading.paused).toBe(true);
    t.fromRoom(BELL);
    expect(t.toRoom()).toEqual(Buffer.concat([paste('one'), key(0x61, true), paste('two'), key(0x62, true)]));
    expect(t.reading.paused).toBe(false);
    expect(t.toBrowser(), 'no bell for the browser').toEqual(Buffer.alloc(0));
    t.s.end();
    expect(t.ended[0]).toMatchObject({ pasted: 2, pasteAcks: 2 });
  });

  it('ends the session (1009) when a driver floods input behind a paste, and forwards none of the flood', () => {
    const t = session({ copyOut: true, clipboard: true, pasteSettleMs: 60_000 });
    const paste = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 2]), Buffer.from('hi')]);
    t.s.fromBrowser(paste);
    // Pointer moves (allowed input) that ws had already read, past the 4 MiB bound.
    const move = (i: number) => Buffer.from([5, 0, (i >> 8) & 0xff, i & 0xff, 0, 10]);
    for (let chunk = 0; chunk < 80 && !t.s.closed; chunk++) t.s.fromBrowser(Buffer.concat(Array.from({ length: 10_000 }, (_, i) => move(i))));
    expect(t.s.closed, 'the session ended').toBe(true);
    expect(t.closed).toEqual([1009]);
    expect(t.toRoom(), 'only the paste reached the room').toEqual(paste);
  });

  it("passes on no empty text (x11vnc's empty cut buffer 0 when its hold ends): it would empty the driver's clipboard", () => {
    const t = session({ copyOut: true, clipboard: true });
    t.fromRoom(Buffer.concat([cut(''), cut('then a copy')]));
    expect(t.toBrowser()).toEqual(cut('then a copy'));
    expect(t.copies).toEqual(['then a copy']);
    t.s.end();
  });

  it("gives noVNC Latin-1: the kiosk's UTF-8 re-encoded, '?' for what Latin-1 lacks; Latin-1 that is not UTF-8 as it came", () => {
    const t = session({ copyOut: true, clipboard: true });
    t.fromRoom(cut(Buffer.from('café — €', 'utf8').toString('latin1')));
    t.fromRoom(cut('caf\xe9'));
    expect(t.toBrowser()).toEqual(Buffer.concat([cut('caf\xe9 ? ?'), cut('caf\xe9')]));
    t.s.end();
  });

  it('sends the browser nothing and x11vnc no text when the room has the clipboard off', () => {
    const t = session({ copyOut: false, clipboard: false });
    t.fromRoom(cut('secret in the room'));
    expect(t.toBrowser().length).toBe(0);
    t.s.fromBrowser(Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 5]), Buffer.from('hello')]));
    expect(t.toRoom().length).toBe(0);
    t.s.end();
  });

  it('holds nothing back over the limit and sends nothing before the browser finished its handshake', () => {
    const t = session({ copyOut: true, clipboard: true, handshake: false });
    t.fromRoom(cut('too early'));
    t.s.fromBrowser(Buffer.concat([Buffer.from('RFB 003.008\n', 'latin1'), Buffer.from([1]), Buffer.from([1])]));
    t.fromRoom(cut('y'.repeat(33)));
    t.fromRoom(cut('fits'));
    const got = t.toBrowser();
    expect(got.includes(Buffer.from('too early'))).toBe(false);
    expect(got.includes(Buffer.from('yyyy'))).toBe(false);
    expect(got.subarray(-12)).toEqual(cut('fits'));
    t.s.end();
  });
});
