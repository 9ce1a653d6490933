/**
 * The fast path's FLV reader (server/media/flv.ts) on recorded bytes: test/fixtures/fast-*.flv
 * are a real encoder's two streams (see test/fixtures/README.md); the expected times, key frames
 * and sizes are ffprobe's. Hand-built tags cover what a one-second recording cannot (extended
 * timestamps, negative composition offsets, refusals).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlvReader, MAX_TAG_BYTES, type FlvMetadata } from '../../server/media/flv.js';
import { MediaFormatError, type Sample, type TrackInfo } from '../../server/media/tracks.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const KEY = 'fixturekey0123456789abcdefghijk';

// ffprobe -show_entries packet=pts,flags,size -of csv fast-video.flv
const VIDEO_PACKETS = [
  [0, 'K', 1722], [100, '_', 812], [200, '_', 468], [300, '_', 442], [400, '_', 501],
  [500, 'K', 1936], [600, '_', 424], [700, '_', 442], [800, '_', 450], [900, '_', 468],
] as const;
// fast-audio.flv: 48 AAC frames of 1024 samples at 48 kHz, FLV's ms rounded down; 7948 bytes in all.
const AUDIO_FRAMES = 48;
const AUDIO_BYTES = 7948;

interface Read {
  metadata: FlvMetadata[];
  tracks: TrackInfo[];
  samples: Sample[];
}

function read(bytes: Buffer, chunk = bytes.length): Read {
  const out: Read = { metadata: [], tracks: [], samples: [] };
  const reader = new FlvReader({ metadata: (m) => out.metadata.push(m), setTrack: (t) => out.tracks.push(t), publish: (s) => out.samples.push({ ...s, data: Buffer.from(s.data) }) });
  for (let at = 0; at < bytes.length; at += chunk) reader.push(bytes.subarray(at, at + chunk));
  return out;
}

/** AVC-format frames are NAL units, each behind a 4-byte length: they must fill the frame exactly. */
function nalTypes(frame: Buffer): number[] {
  const types: number[] = [];
  let at = 0;
  while (at < frame.length) {
    const length = frame.readUInt32BE(at);
    types.push(frame.readUInt8(at + 4) & 0x1f);
    at += 4 + length;
  }
  expect(at).toBe(frame.length);
  return types;
}

describe('FlvReader on a recorded video stream', () => {
  const result = read(fixture('fast-video.flv'));

  it('reads the size and the ingest key from onMetaData', () => {
    expect(result.metadata).toEqual([{ width: 64, height: 48, streamboxKey: KEY }]);
  });

  it('reads the decoder setup from the avcC (Constrained Baseline, level 1.0)', () => {
    expect(result.tracks).toHaveLength(1);
    const video = result.tracks[0]!;
    expect(video).toMatchObject({ kind: 'video', timescale: 1000, codec: 'avc1.42c00a', width: 64, height: 48 });
    expect(video.description.toString('hex')).toBe('0142c00affe100156742c00ada11ec0440000003004000000523c489a801000468ce0fc8');
  });

  it('gives every frame with its time, key flag and bytes, as ffprobe sees them', () => {
    expect(result.samples.map((s) => [s.time, s.key ? 'K' : '_', s.data.length])).toEqual(VIDEO_PACKETS);
    for (const s of result.samples) {
      expect(s.kind).toBe('video');
      const types = nalTypes(s.data);
      // IDR slices (5) in key frames only; other frames carry non-IDR slices (1).
      expect(types.includes(5)).toBe(s.key);
      expect(types.includes(1)).toBe(!s.key);
    }
  });

  it('gives the same result whatever the chunking (one byte, a tag header split, 4 KB)', () => {
    for (const chunk of [1, 7, 4096]) expect(read(fixture('fast-video.flv'), chunk)).toEqual(result);
  });
});

describe('FlvReader on a recorded audio stream', () => {
  const result = read(fixture('fast-audio.flv'));

  it('reads the key, the AudioSpecificConfig (AAC LC, 48 kHz, stereo) and every frame', () => {
    expect(result.metadata).toEqual([{ width: 0, height: 0, streamboxKey: KEY }]);
    expect(result.tracks).toHaveLength(1);
    expect(result.tracks[0]).toMatchObject({ kind: 'audio', timescale: 1000, codec: 'mp4a.40.2', sampleRate: 48000, channels: 2 });
    expect(result.tracks[0]!.description.toString('hex')).toBe('119056e500');
    expect(result.samples).toHaveLength(AUDIO_FRAMES);
    expect(result.samples.map((s) => s.time)).toEqual(Array.from({ length: AUDIO_FRAMES }, (_, i) => Math.floor((i * 1024) / 48)));
    expect(result.samples.every((s) => s.kind === 'audio' && s.key)).toBe(true);
    expect(result.samples.reduce((n, s) => n + s.data.length, 0)).toBe(AUDIO_BYTES);
    expect(read(fixture('fast-audio.flv'), 13)).toEqual(result);
  });
});

/** An FLV stream of hand-made tags: header, PreviousTagSize 0, then each tag and its size. */
function flv(...tags: Array<{ type: number; time: number; data: Buffer }>): Buffer {
  const parts: Buffer[] = [Buffer.from('464c5601010000000900000000', 'hex')];
  for (const { type, time, data } of tags) {
    const header = Buffer.alloc(11);
    header.writeUInt8(type, 0);
    header.writeUIntBE(data.length, 1, 3);
    header.writeUIntBE(time & 0xffffff, 4, 3);
    header.writeUInt8(time >>> 24, 7);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(11 + data.length);
    parts.push(header, data, size);
  }
  return Buffer.concat(parts);
}

describe('FlvReader on hand-made tags', () => {
  const avcC = Buffer.from('0142c028ffe1', 'hex');

  it('adds the timestamp extension byte and a signed composition offset', () => {
    const frame = Buffer.from('00000001 65'.replace(' ', ''), 'hex');
    const cto = Buffer.from('fffffe', 'hex'); // -2 ms
    const { samples, tracks } = read(flv({ type: 9, time: 0, data: Buffer.concat([Buffer.from('1700000000', 'hex'), avcC]) }, { type: 9, time: 0x01000005, data: Buffer.concat([Buffer.from('1701', 'hex'), cto, frame]) }));
    expect(tracks[0]!.codec).toBe('avc1.42c028');
    expect(samples).toEqual([{ kind: 'video', time: 0x01000005 - 2, key: true, data: frame }]);
  });

  it('refuses what the encoder never writes', () => {
    expect(() => read(Buffer.from('RIFF0000000000000'))).toThrow(MediaFormatError);
    expect(() => read(flv({ type: 9, time: 0, data: Buffer.from('1200000000', 'hex') }))).toThrow(/not H.264/);
    expect(() => read(flv({ type: 8, time: 0, data: Buffer.from('2f01', 'hex') }))).toThrow(/not AAC/);
    const huge = flv({ type: 9, time: 0, data: Buffer.alloc(0) });
    huge.writeUIntBE(MAX_TAG_BYTES + 1, 13 + 1, 3);
    expect(() => read(huge)).toThrow(/too large/);
  });

  it('skips tags it does not know and waits for the rest of a partial tag', () => {
    const bytes = flv({ type: 15, time: 0, data: Buffer.from('abcd', 'hex') }, { type: 9, time: 0, data: Buffer.concat([Buffer.from('1700000000', 'hex'), avcC]) });
    expect(read(bytes.subarray(0, bytes.length - 1)).tracks).toEqual([]);
    expect(read(bytes).tracks).toHaveLength(1);
  });
});
