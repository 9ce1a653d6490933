/**
 * The MSE fast path's remuxer (web/src/player/fmp4.ts), read back box by box: sizes add up, the
 * decoder records go in byte for byte, each fragment's trun carries one sample with the right
 * flags and a data offset that points at its mdat payload, and decode times follow the wire.
 */
import { describe, expect, it } from 'vitest';
import { SAMPLE_NON_SYNC, SAMPLE_SYNC, TFHD_FLAGS, TRUN_FLAGS, TrackClock, fragment, initSegment } from '../../web/src/player/fmp4.js';

interface Box {
  type: string;
  start: number;
  size: number;
  /** Payload (after the 8-byte header). */
  body: Uint8Array;
  children: Box[];
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'dinf', 'stbl', 'mvex', 'moof', 'traf']);

/** Parses boxes; throws if a size runs past its parent or leaves bytes over. */
function parse(buf: Uint8Array, offset = 0, end = buf.length): Box[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Box[] = [];
  let at = offset;
  while (at < end) {
    const size = view.getUint32(at);
    const type = String.fromCharCode(...buf.subarray(at + 4, at + 8));
    if (size < 8 || at + size > end) throw new Error(`${type} at ${at}: size ${size} runs past ${end}`);
    const b: Box = { type, start: at, size, body: buf.subarray(at + 8, at + size), children: [] };
    if (CONTAINERS.has(type)) b.children = parse(buf, at + 8, at + size);
    out.push(b);
    at += size;
  }
  if (at !== end) throw new Error(`boxes end at ${at}, parent at ${end}`);
  return out;
}

function find(boxes: Box[], path: string): Box {
  const [head, ...rest] = path.split('/');
  const b = boxes.find((x) => x.type === head);
  if (!b) throw new Error(`no ${head} among ${boxes.map((x) => x.type).join(',')}`);
  return rest.length ? find(b.children, rest.join('/')) : b;
}

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at);
const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(at);
const indexOf = (hay: Uint8Array, needle: Uint8Array) => {
  for (let i = 0; i + needle.length <= hay.length; i++) if (needle.every((x, j) => hay[i + j] === x)) return i;
  return -1;
};

// A real baseline avcC (1080p, avc1.42c028) as libx264 writes it, and AAC-LC 48 kHz stereo.
const AVCC = Uint8Array.from([0x01, 0x42, 0xc0, 0x28, 0xff, 0xe1, 0x00, 0x0a, 0x67, 0x42, 0xc0, 0x28, 0xda, 0x01, 0xe0, 0x08, 0x9f, 0x96, 0x01, 0x00, 0x04, 0x68, 0xce, 0x3c, 0x80]);
const ASC = Uint8Array.from([0x11, 0x90]);

describe('fMP4 init segments', () => {
  it('video: ftyp + moov with one avc1 track carrying the avcC byte for byte', () => {
    const seg = initSegment({ kind: 'video', id: 1, timescale: 90_000, width: 1920, height: 1080, avcC: AVCC });
    const boxes = parse(seg);
    expect(boxes.map((b) => b.type)).toEqual(['ftyp', 'moov']);
    expect(find(boxes, 'moov/trak/mdia/hdlr').body.subarray(8, 12)).toEqual(Uint8Array.from('vide', (c) => c.charCodeAt(0)));
    const mdhd = find(boxes, 'moov/trak/mdia/mdhd').body;
    expect(u32(mdhd, 12)).toBe(90_000);
    const tkhd = find(boxes, 'moov/trak/tkhd').body;
    expect(u32(tkhd, 12)).toBe(1); // track_ID
    expect([u32(tkhd, 76) / 65536, u32(tkhd, 80) / 65536]).toEqual([1920, 1080]);
    const stsd = find(boxes, 'moov/trak/mdia/minf/stbl/stsd').body;
    const avc1 = parse(stsd, 8);
    expect(avc1.map((b) => b.type)).toEqual(['avc1']);
    expect([u16(avc1[0]!.body, 24), u16(avc1[0]!.body, 26)]).toEqual([1920, 1080]);
    const avcC = parse(avc1[0]!.body, 78);
    expect(avcC[0]!.type).toBe('avcC');
    expect(avcC[0]!.body).toEqual(AVCC);
    expect(u32(find(boxes, 'moov/mvex/trex').body, 4)).toBe(1);
  });

  it('audio: an mp4a track whose esds carries the AudioSpecificConfig, timescale = sample rate', () => {
    const seg = initSegment({ kind: 'audio', id: 2, timescale: 48_000, channels: 2, asc: ASC });
    const boxes = parse(seg);
    expect(u32(find(boxes, 'moov/trak/mdia/mdhd').body, 12)).toBe(48_000);
    const mp4a = parse(find(boxes, 'moov/trak/mdia/minf/stbl/stsd').body, 8)[0]!;
    expect(mp4a.type).toBe('mp4a');
    expect(u16(mp4a.body, 16)).toBe(2); // channelcount
    expect(u32(mp4a.body, 24) / 65536).toBe(48_000);
    const esds = parse(mp4a.body, 28)[0]!;
    expect(esds.type).toBe('esds');
    // DecoderSpecificInfo: tag 5, length, then the ASC itself.
    expect(indexOf(esds.body, Uint8Array.from([0x05, ASC.length, ...ASC]))).toBeGreaterThan(0);
    expect(esds.body[4]).toBe(0x03); // ES_Descriptor
    expect(esds.body[5]).toBe(esds.body.length - 6); // its length covers the rest
  });
});

describe('fMP4 fragments: one moof + mdat per frame', () => {
  const data = Uint8Array.from({ length: 1234 }, (_, i) => i % 251);

  it('one sample, key frame flags, data offset at the mdat payload, 64-bit decode time', () => {
    const decodeTime = 2 ** 33 + 12345; // past 32 bits: a long-running room at 90 kHz
    const frag = fragment(1, 7, { decodeTime, duration: 3000, sync: true, data });
    const boxes = parse(frag);
    expect(boxes.map((b) => b.type)).toEqual(['moof', 'mdat']);
    const [moof, mdat] = boxes as [Box, Box];
    expect(mdat.size).toBe(8 + data.length);
    expect(mdat.body).toEqual(data);
    expect(u32(find(boxes, 'moof/mfhd').body, 4)).toBe(7);
    const tfhd = find(boxes, 'moof/traf/tfhd').body;
    expect(u32(tfhd, 0) & 0xffffff).toBe(TFHD_FLAGS);
    expect(u32(tfhd, 4)).toBe(1);
    const tfdt = find(boxes, 'moof/traf/tfdt').body;
    expect(tfdt[0]).toBe(1); // version 1: 64-bit
    expect(u32(tfdt, 4) * 2 ** 32 + u32(tfdt, 8)).toBe(decodeTime);
    const trun = find(boxes, 'moof/traf/trun').body;
    expect(u32(trun, 0) & 0xffffff).toBe(TRUN_FLAGS);
    expect(u32(trun, 4)).toBe(1); // sample_count
    expect(moof.start + u32(trun, 8)).toBe(mdat.start + 8); // data_offset from the moof
    expect([u32(trun, 12), u32(trun, 16), u32(trun, 20)]).toEqual([3000, data.length, SAMPLE_SYNC]);
  });

  it('a delta frame is marked non-sync and dependent', () => {
    const trun = find(parse(fragment(1, 8, { decodeTime: 3000, duration: 3000, sync: false, data })), 'moof/traf/trun').body;
    expect(u32(trun, 20)).toBe(SAMPLE_NON_SYNC);
    expect(SAMPLE_NON_SYNC & 0x00010000).toBeTruthy(); // sample_is_non_sync_sample
    expect((SAMPLE_NON_SYNC >>> 24) & 3).toBe(1); // sample_depends_on: yes
  });
});

describe('decode times from the wire', () => {
  it('video follows the stamps, each fragment lasting the last interval', () => {
    const clock = new TrackClock(90_000, 3000);
    // FLV stamps are whole milliseconds: 30 fps alternates 33 and 34 ms.
    const out = [1_000_000, 1_033_000, 1_067_000, 1_100_000].map((us) => clock.next(us));
    expect(out.map((o) => o.decodeTime)).toEqual([90_000, 92_970, 96_030, 99_000]);
    expect(out.map((o) => o.duration)).toEqual([3000, 2970, 3060, 2970]);
  });

  it('sound stays sample-continuous through millisecond jitter, and re-anchors after a real gap', () => {
    const clock = new TrackClock(48_000, 1024, true);
    // 1024 samples at 48 kHz = 21.333 ms; FLV rounds to 21 or 22 ms.
    const stamps = [0, 21_000, 43_000, 64_000, 85_000, 500_000];
    const out = stamps.map((us) => clock.next(us));
    expect(out.slice(0, 5).map((o) => o.decodeTime)).toEqual([0, 1024, 2048, 3072, 4096]);
    expect(out[5]!.decodeTime).toBe(24_000);
    expect(out.every((o) => o.duration === 1024)).toBe(true);
  });
});
