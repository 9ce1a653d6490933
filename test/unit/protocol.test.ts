/**
 * protocol/: the fast path's frame header byte for byte (expected bytes from Python's struct,
 * not from the code under test), the JSON decoders, base64 against Node's, the close codes, and
 * that the folder compiles with neither Node's nor the DOM's types (both sides import it).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, TRACK_AUDIO, TRACK_VIDEO, decodeClientMessage, decodeFrame, encodeFrame, writeFrameHeader } from '../../protocol/fastPath.js';
import { decodeServerMessage, channelPath } from '../../protocol/roomChannel.js';
import { base64Decode, base64Encode } from '../../protocol/base64.js';
import * as close from '../../protocol/closeCodes.js';
import { frameMessage } from '../../server/media/wire.js';
import * as fastWire from '../../web/src/player/fastWire.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

// struct.pack('>BBHdd', 1, 1, 0, 1234567.0, 1764633600000.25)
const VIDEO_KEY_HEADER = '0101000041 32d68700000000 4279adc5be000400'.replace(/ /g, '');
// struct.pack('>BBHdd', 2, 0, 0, 21333.333333333332, 1764633600021.5)
const AUDIO_HEADER = '0200000040d4d55555555555 4279adc5be015800'.replace(/ /g, '');

describe('fast-path frame header', () => {
  it('writes the 20-byte header exactly: track, key flag, reserved 0, two big-endian f64', () => {
    const frame = encodeFrame({ track: TRACK_VIDEO, key: true, timestampUs: 1234567, receivedAtMs: 1764633600000.25 }, new Uint8Array([0, 0, 0, 2, 0x09, 0xf0]));
    expect(FRAME_HEADER_BYTES).toBe(20);
    expect(hex(frame)).toBe(`${VIDEO_KEY_HEADER}0000000209f0`);
    const audio = encodeFrame({ track: TRACK_AUDIO, key: false, timestampUs: 64000 / 3, receivedAtMs: 1764633600021.5 }, new Uint8Array([0x21]));
    expect(hex(audio)).toBe(`${AUDIO_HEADER}21`);
  });

  it('the server writes the same bytes into its own Buffer', () => {
    const data = Buffer.from([0, 0, 0, 2, 0x09, 0xf0]);
    expect(frameMessage(TRACK_VIDEO, true, 1234567, 1764633600000.25, data).toString('hex')).toBe(`${VIDEO_KEY_HEADER}0000000209f0`);
  });

  it('writes into a view at an offset without touching the bytes around it', () => {
    const backing = new Uint8Array(24).fill(0xee);
    writeFrameHeader(backing.subarray(2, 22), { track: TRACK_VIDEO, key: true, timestampUs: 1234567, receivedAtMs: 1764633600000.25 });
    expect(hex(backing)).toBe(`eeee${VIDEO_KEY_HEADER}eeee`);
    expect(() => writeFrameHeader(new Uint8Array(19), { track: 1, key: false, timestampUs: 0, receivedAtMs: 0 })).toThrow(RangeError);
  });

  it('reads recorded bytes back, from an ArrayBuffer (the page) or a view at an offset', () => {
    const bytes = Buffer.from(`ffff${VIDEO_KEY_HEADER}0000000209f0`, 'hex');
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 2, bytes.length - 2);
    const own = view.slice().buffer;
    for (const message of [own, view]) {
      const frame = decodeFrame(message)!;
      expect(frame).toMatchObject({ track: TRACK_VIDEO, key: true, timestampUs: 1234567, receivedAtMs: 1764633600000.25 });
      expect(hex(frame.data)).toBe('0000000209f0');
    }
    const audio = decodeFrame(Buffer.from(AUDIO_HEADER, 'hex'))!;
    expect(audio).toMatchObject({ track: TRACK_AUDIO, key: false, timestampUs: 64000 / 3, receivedAtMs: 1764633600021.5 });
    expect(audio.data.byteLength).toBe(0);
  });

  it('only bit 0 of the flags is the key flag; a message shorter than a header is no frame', () => {
    const bytes = Buffer.from(VIDEO_KEY_HEADER, 'hex');
    bytes[1] = 0xfe;
    expect(decodeFrame(bytes)!.key).toBe(false);
    bytes[1] = 0x03;
    expect(decodeFrame(bytes)!.key).toBe(true);
    expect(decodeFrame(new Uint8Array(19))).toBeNull();
    expect(decodeFrame(new ArrayBuffer(0))).toBeNull();
  });

  it('the page reads it through the names it always imported', () => {
    const frame = fastWire.parseFrame(new Uint8Array(Buffer.from(VIDEO_KEY_HEADER, 'hex')).buffer);
    expect(frame).toMatchObject({ track: fastWire.TRACK_VIDEO, key: true, timestampUs: 1234567 });
    expect(fastWire.TRACK_AUDIO).toBe(2);
  });
});

describe('JSON messages', () => {
  it('the fast path answers only a well-formed ping', () => {
    expect(decodeClientMessage('{"type":"ping","t":12.5}')).toEqual({ type: 'ping', t: 12.5 });
    for (const text of ['{"type":"ping"}', '{"type":"ping","t":"1"}', '{"type":"pong","t":1}', 'ping', '[]', 'null', '{"t":1}']) expect(decodeClientMessage(text)).toBeNull();
  });

  it('the channel reads objects with a type and nothing else', () => {
    expect(decodeServerMessage('{"type":"room","state":"live"}')).toEqual({ type: 'room', state: 'live' });
    for (const text of ['', 'nope', '42', '"room"', 'null', '{"type":3}']) expect(decodeServerMessage(text)).toBeNull();
    expect(channelPath('abc', 'Ann & Bo')).toBe('/api/rooms/abc/events?name=Ann%20%26%20Bo');
    expect(channelPath('abc', 'Bo', 'id1.k-_y')).toBe('/api/rooms/abc/events?name=Bo&resume=id1.k-_y');
  });
});

describe('base64 (decoder descriptions)', () => {
  it('agrees with Node for every length around the padding cases', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 97 + n * 31) & 0xff));
      expect(base64Encode(bytes)).toBe(bytes.toString('base64'));
      expect(hex(base64Decode(bytes.toString('base64')))).toBe(bytes.toString('hex'));
    }
    expect(hex(fastWire.base64Bytes('AULAKP/hABQ='))).toBe('0142c028ffe10014');
    expect(() => base64Decode('AB$D')).toThrow(/not base64/);
  });
});

describe('close codes', () => {
  it('are defined once, distinct, in the application range, and the page sees the same numbers', () => {
    const codes = Object.values(close);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code >= 4000 && code <= 4999).toBe(true);
    expect(close).toMatchObject({ CLOSE_SEATS_FULL: 4003, CLOSE_ROOM_DELETED: 4004, CLOSE_REMOVED: 4010, CLOSE_PASSWORD_CHANGED: 4011, CLOSE_OVER_CAP: 4029 });
    expect(fastWire.CLOSE_ROOM_GONE).toBe(4004);
    expect(fastWire.CLOSE_SEATS_FULL).toBe(4003);
  });
});

describe('protocol/ itself', () => {
  it('compiles without Node or DOM types (a Buffer or window there would break one side)', () => {
    execFileSync('node_modules/.bin/tsc', ['-p', 'protocol/tsconfig.json'], { stdio: 'pipe' });
  }, 60_000);
});
