/**
 * A minimal fragmented-MP4 writer for the MSE fast path (mse.ts): one init segment per track
 * (ftyp + moov, one trak) and one fragment (moof + mdat) per encoded frame, so a frame can be
 * appended the moment it arrives instead of waiting for a GOP (ISO/IEC 14496-12, -15, -14).
 *
 * Why not mux.js (video.js's remuxer, mux.js/lib/mp4/mp4-generator.js): it rebuilds the decoder
 * records from parsed fields instead of carrying the encoder's own: avcC from SPS/PPS lists with
 * the length size hard-coded, and the AAC AudioSpecificConfig from object type / frequency index /
 * channels (it cannot express an escape frequency, SBR or a channel configuration 0), both with a
 * 90 kHz timescale for sound too; and its lib/ paths are internals of a transitive dependency,
 * without types. Here the avcC and the AudioSpecificConfig from the `init` message go into the
 * boxes byte for byte, and the whole writer is small enough to read and test (test/unit/fmp4.test.ts).
 */

export interface VideoTrackConfig {
  kind: 'video';
  id: number;
  timescale: number;
  width: number;
  height: number;
  /** The AVCDecoderConfigurationRecord as the encoder wrote it. */
  avcC: Uint8Array;
}

export interface AudioTrackConfig {
  kind: 'audio';
  id: number;
  /** Also the sample rate. */
  timescale: number;
  channels: number;
  /** The AudioSpecificConfig as the encoder wrote it. */
  asc: Uint8Array;
}

export type TrackConfig = VideoTrackConfig | AudioTrackConfig;

/** trun flags: data-offset, sample-duration, sample-size and sample-flags present. */
export const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400;
/** tfhd flags: default-base-is-moof (offsets count from the moof, as MSE expects). */
export const TFHD_FLAGS = 0x020000;
/** sample_flags: a sync sample that depends on nothing (key frame, every AAC frame). */
export const SAMPLE_SYNC = 0x02000000;
/** sample_flags: depends on others, sample_is_non_sync_sample. */
export const SAMPLE_NON_SYNC = 0x01010000;

const text = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The parts, one after the other, in one new buffer. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Big-endian fields: numbers are u32 unless given as [value, bytes]. */
function fields(...values: (number | [number, 1 | 2 | 3 | 4 | 8] | Uint8Array)[]): Uint8Array {
  const parts = values.map((v) => {
    if (v instanceof Uint8Array) return v;
    const [value, bytes] = typeof v === 'number' ? [v, 4] : v;
    const out = new Uint8Array(bytes);
    let rest = value;
    for (let i = bytes - 1; i >= 0; i--) {
      out[i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    return out;
  });
  return concat(parts);
}

export function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const body = concat(payload);
  return concat([fields(8 + body.length), text(type), body]);
}

/** A FullBox: version and flags, then the payload. */
function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Uint8Array {
  return box(type, fields([version, 1], [flags, 3]), ...payload);
}

const MATRIX = fields(0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000);
const zeros = (n: number) => new Uint8Array(n);

function sampleEntry(track: TrackConfig): Uint8Array {
  if (track.kind === 'video') {
    return box(
      'avc1',
      zeros(6), fields([1, 2]), // reserved, data_reference_index
      zeros(16), // pre_defined, reserved
      fields([track.width, 2], [track.height, 2], 0x00480000, 0x00480000, 0, [1, 2]),
      zeros(32), // compressorname
      fields([0x0018, 2], [0xffff, 2]), // depth, pre_defined = -1
      box('avcC', track.avcC),
    );
  }
  const asc = track.asc;
  const decoderSpecific = concat([fields([0x05, 1], [asc.length, 1]), asc]);
  const decoderConfig = concat([fields([0x04, 1], [13 + decoderSpecific.length, 1], [0x40, 1], [0x15, 1], [0, 3], 0, 0), decoderSpecific]);
  const slConfig = fields([0x06, 1], [1, 1], [0x02, 1]);
  const esDescriptor = concat([fields([0x03, 1], [3 + decoderConfig.length + slConfig.length, 1], [track.id, 2], [0, 1]), decoderConfig, slConfig]);
  return box(
    'mp4a',
    zeros(6), fields([1, 2]), // reserved, data_reference_index
    zeros(8),
    fields([track.channels, 2], [16, 2], [0, 2], [0, 2], track.timescale < 65536 ? track.timescale * 65536 : 0),
    fullBox('esds', 0, 0, esDescriptor),
  );
}

/** ftyp + moov for one track, with an empty sample table and mvex (all samples come in fragments). */
export function initSegment(track: TrackConfig): Uint8Array {
  const video = track.kind === 'video';
  const ftyp = box('ftyp', text('isom'), fields(0x200), text('isom'), text('iso6'), text(video ? 'avc1' : 'mp41'), text('mp41'));
  const mvhd = fullBox('mvhd', 0, 0, fields(0, 0, 1000, 0, 0x00010000, [0x0100, 2], [0, 2], 0, 0), MATRIX, zeros(24), fields(track.id + 1));
  const tkhd = fullBox(
    'tkhd', 0, 0x000003, // enabled, in movie
    fields(0, 0, track.id, 0, 0, 0, 0, [0, 2], [0, 2], [video ? 0 : 0x0100, 2], [0, 2]),
    MATRIX,
    fields(video ? track.width * 65536 : 0, video ? track.height * 65536 : 0),
  );
  const mdhd = fullBox('mdhd', 0, 0, fields(0, 0, track.timescale, 0, [0x55c4, 2], [0, 2])); // language 'und'
  const hdlr = fullBox('hdlr', 0, 0, fields(0), text(video ? 'vide' : 'soun'), zeros(12), text(video ? 'VideoHandler\0' : 'SoundHandler\0'));
  const mediaHeader = video ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, fields(1), fullBox('url ', 0, 1)));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, fields(1), sampleEntry(track)),
    fullBox('stts', 0, 0, fields(0)),
    fullBox('stsc', 0, 0, fields(0)),
    fullBox('stsz', 0, 0, fields(0, 0)),
    fullBox('stco', 0, 0, fields(0)),
  );
  const trak = box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', mediaHeader, dinf, stbl)));
  const mvex = box('mvex', fullBox('trex', 0, 0, fields(track.id, 1, 0, 0, 0)));
  return concat([ftyp, box('moov', mvhd, trak, mvex)]);
}

export interface Sample {
  /** Decode (= presentation: no B-frames) time, in the track's timescale. */
  decodeTime: number;
  duration: number;
  sync: boolean;
  data: Uint8Array;
}

/** Size of a one-sample moof as written below: mfhd 16 + traf (8 + tfhd 16 + tfdt 20 + trun 32) + 8. */
const MOOF_BYTES = 100;

/** One moof + mdat holding one sample. `sequence` counts fragments from 1. */
export function fragment(trackId: number, sequence: number, sample: Sample): Uint8Array {
  const trun = fullBox('trun', 0, TRUN_FLAGS, fields(1, MOOF_BYTES + 8, sample.duration, sample.data.length, sample.sync ? SAMPLE_SYNC : SAMPLE_NON_SYNC));
  const traf = box('traf', fullBox('tfhd', 0, TFHD_FLAGS, fields(trackId)), fullBox('tfdt', 1, 0, fields([sample.decodeTime, 8])), trun);
  const moof = box('moof', fullBox('mfhd', 0, 0, fields(sequence)), traf);
  return concat([moof, box('mdat', sample.data)]);
}

/**
 * Turns the wire's microsecond timestamps into a track's decode times and durations. A fragment is
 * written before the next frame exists, so its duration is a guess: the last interval for video
 * (steady at a fixed frame rate), a whole AAC frame for sound. Sound stays sample-continuous while
 * the stamps (whole milliseconds in FLV) jitter around it; a real jump (a gap) re-anchors it.
 */
export class TrackClock {
  private last: number | null = null;
  private lastDuration: number;

  constructor(
    private readonly timescale: number,
    defaultDuration: number,
    /** Sound: frames follow each other exactly, `defaultDuration` apart. */
    private readonly continuous = false,
  ) {
    this.lastDuration = defaultDuration;
  }

  next(timestampUs: number): { decodeTime: number; duration: number } {
    let t = Math.max(0, Math.round((timestampUs * this.timescale) / 1e6));
    if (this.last !== null) {
      const expected = this.last + this.lastDuration;
      if (this.continuous && Math.abs(t - expected) < this.lastDuration / 2) t = expected;
      else if (!this.continuous && t > this.last) this.lastDuration = t - this.last;
    }
    this.last = t;
    return { decodeTime: t, duration: this.lastDuration };
  }
}
