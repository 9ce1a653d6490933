/**
 * Just enough of ISO BMFF (fragmented MP4) to relay a live encoder's output frame by frame.
 *
 * The room's ffmpeg writes `-movflags frag_every_frame+empty_moov+default_base_moof`: an init
 * segment (ftyp + moov) and then one moof + mdat per encoded frame, video and audio interleaved.
 * We read the codec setup from the moov (what WebCodecs needs to configure its decoders) and the
 * timing and key flag from each moof; the sample bytes are the mdat's payload. Written by hand
 * because the boxes are few and fixed by our own encoder, and a general MP4 library would parse
 * every fragment far more than this relay needs on its hot path.
 */

export interface Box {
  type: string;
  /** The whole box, header included. */
  bytes: Buffer;
  /** Offset of the payload within `bytes` (8, or 16 for 64-bit sizes). */
  headerSize: number;
}

export interface VideoTrackInfo {
  kind: 'video';
  id: number;
  timescale: number;
  /** RFC 6381 codec string, e.g. avc1.42c028 (read from the avcC, never assumed). */
  codec: string;
  width: number;
  height: number;
  /** The avcC record: WebCodecs' `description`. */
  description: Buffer;
}

export interface AudioTrackInfo {
  kind: 'audio';
  id: number;
  timescale: number;
  codec: string;
  sampleRate: number;
  channels: number;
  /** AudioSpecificConfig: WebCodecs' `description` for AAC. */
  description: Buffer;
}

export type TrackInfo = VideoTrackInfo | AudioTrackInfo;

export interface Sample {
  trackId: number;
  /** Presentation time in the track's timescale units (decode time + composition offset). */
  time: number;
  duration: number;
  key: boolean;
  data: Buffer;
}

export class Mp4FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Mp4FormatError';
  }
}

/** Largest top-level box we accept: a 1080p keyframe is ~100-300 KB; anything near this is broken input. */
export const MAX_BOX_BYTES = 16 * 1024 * 1024;

/** Cuts a byte stream into top-level boxes, whatever the chunking of the input. */
export class BoxSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Feeds a chunk; returns the boxes it completed. Throws Mp4FormatError on a corrupt stream. */
  push(chunk: Buffer): Box[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const boxes: Box[] = [];
    for (;;) {
      if (this.pendingBytes < 8) break;
      const head = this.peek(16);
      let size = head.readUInt32BE(0);
      let headerSize = 8;
      if (size === 1) {
        if (head.length < 16) break;
        const big = head.readBigUInt64BE(8);
        if (big > BigInt(MAX_BOX_BYTES)) throw new Mp4FormatError(`box of ${big} bytes is too large`);
        size = Number(big);
        headerSize = 16;
      }
      if (size < headerSize) throw new Mp4FormatError(`box size ${size} is invalid (size 0 "to the end" cannot be streamed)`);
      if (size > MAX_BOX_BYTES) throw new Mp4FormatError(`box of ${size} bytes is too large`);
      if (this.pendingBytes < size) break;
      const bytes = this.take(size);
      boxes.push({ type: bytes.toString('latin1', 4, 8), bytes, headerSize });
    }
    return boxes;
  }

  private peek(n: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= n || this.pending.length === 1) return first.subarray(0, n);
    return Buffer.concat(this.pending).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return out;
  }
}

/** The child boxes inside `bytes[start, end)`. */
function children(bytes: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = bytes.readUInt32BE(at);
    let headerSize = 8;
    if (size === 1) {
      size = Number(bytes.readBigUInt64BE(at + 8));
      headerSize = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < headerSize || at + size > end) throw new Mp4FormatError(`truncated box at offset ${at}`);
    out.push({ type: bytes.toString('latin1', at + 4, at + 8), bytes: bytes.subarray(at, at + size), headerSize });
    at += size;
  }
  return out;
}

function payload(box: Box): Buffer {
  return box.bytes.subarray(box.headerSize);
}

function child(box: Box, type: string, skip = 0): Box | undefined {
  const p = payload(box);
  return children(p, skip, p.length).find((b) => b.type === type);
}

function path(box: Box, ...types: string[]): Box | undefined {
  let at: Box | undefined = box;
  for (const t of types) at = at && child(at, t);
  return at;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Reads an MPEG-4 descriptor header (tag + variable-length size); returns [tag, size, payloadStart]. */
function descriptor(bytes: Buffer, at: number): [number, number, number] {
  const tag = bytes.readUInt8(at++);
  let size = 0;
  for (let i = 0; i < 4; i++) {
    const b = bytes.readUInt8(at++);
    size = (size << 7) | (b & 0x7f);
    if (!(b & 0x80)) break;
  }
  return [tag, size, at];
}

/** The AudioSpecificConfig inside an esds box. */
function audioSpecificConfig(esds: Box): Buffer {
  const p = payload(esds);
  let [tag, , at] = descriptor(p, 4); // after version/flags
  if (tag !== 3) throw new Mp4FormatError('esds: no ES descriptor');
  const flags = p.readUInt8(at + 2);
  at += 3;
  if (flags & 0x80) at += 2; // dependsOn_ES_ID
  if (flags & 0x40) at += 1 + p.readUInt8(at); // URL
  if (flags & 0x20) at += 2; // OCR_ES_ID
  [tag, , at] = descriptor(p, at);
  if (tag !== 4) throw new Mp4FormatError('esds: no decoder config');
  // DecoderConfigDescriptor: 13 bytes of fields before its DecoderSpecificInfo.
  const [infoTag, size, start] = descriptor(p, at + 13);
  if (infoTag !== 5) throw new Mp4FormatError('esds: no decoder specific info');
  return Buffer.from(p.subarray(start, start + size));
}

function parseTrack(trak: Box): TrackInfo | null {
  const tkhd = child(trak, 'tkhd');
  const mdhd = path(trak, 'mdia', 'mdhd');
  const hdlr = path(trak, 'mdia', 'hdlr');
  const stsd = path(trak, 'mdia', 'minf', 'stbl', 'stsd');
  if (!tkhd || !mdhd || !hdlr || !stsd) throw new Mp4FormatError('trak: missing tkhd, mdhd, hdlr or stsd');
  const tk = payload(tkhd);
  const id = tk.readUInt8(0) === 1 ? tk.readUInt32BE(20) : tk.readUInt32BE(12);
  const md = payload(mdhd);
  const timescale = md.readUInt8(0) === 1 ? md.readUInt32BE(20) : md.readUInt32BE(12);
  const handler = payload(hdlr).toString('latin1', 8, 12);
  const entry = children(payload(stsd), 8, payload(stsd).length)[0];
  if (!entry) throw new Mp4FormatError('stsd: no sample entry');
  const e = payload(entry);
  if (handler === 'vide' && (entry.type === 'avc1' || entry.type === 'avc3')) {
    // VisualSampleEntry: 78 bytes of fixed fields, then boxes (avcC, pasp, btrt).
    const avcC = children(e, 78, e.length).find((b) => b.type === 'avcC');
    if (!avcC) throw new Mp4FormatError('avc1: no avcC');
    const rec = payload(avcC);
    return {
      kind: 'video',
      id,
      timescale,
      codec: `${entry.type}.${hex2(rec.readUInt8(1))}${hex2(rec.readUInt8(2))}${hex2(rec.readUInt8(3))}`,
      width: e.readUInt16BE(24),
      height: e.readUInt16BE(26),
      description: Buffer.from(rec),
    };
  }
  if (handler === 'soun' && entry.type === 'mp4a') {
    // AudioSampleEntry: 28 bytes of fixed fields, then the esds box.
    const esds = children(e, 28, e.length).find((b) => b.type === 'esds');
    if (!esds) throw new Mp4FormatError('mp4a: no esds');
    const asc = audioSpecificConfig(esds);
    return {
      kind: 'audio',
      id,
      timescale,
      codec: `mp4a.40.${asc.readUInt8(0) >> 3}`,
      channels: e.readUInt16BE(16),
      sampleRate: e.readUInt32BE(24) >>> 16,
      description: asc,
    };
  }
  return null; // a track we do not relay (none today)
}

/** The tracks of an init segment's moov. */
export function parseMoov(moov: Box): TrackInfo[] {
  const p = payload(moov);
  return children(p, 0, p.length)
    .filter((b) => b.type === 'trak')
    .map(parseTrack)
    .filter((t): t is TrackInfo => t !== null);
}

const SAMPLE_NON_SYNC = 0x10000;

/**
 * The samples of one moof + mdat pair. `moof` must be followed by its `mdat`; data offsets are
 * taken relative to the moof (default-base-is-moof), as our encoder writes them.
 */
export function parseFragment(moof: Box, mdat: Box): Sample[] {
  const samples: Sample[] = [];
  const m = payload(moof);
  for (const traf of children(m, 0, m.length).filter((b) => b.type === 'traf')) {
    const tfhdBox = child(traf, 'tfhd');
    const trunBox = child(traf, 'trun');
    if (!tfhdBox || !trunBox) throw new Mp4FormatError('traf: missing tfhd or trun');
    const h = payload(tfhdBox);
    const hFlags = h.readUInt32BE(0) & 0xffffff;
    const trackId = h.readUInt32BE(4);
    let at = 8;
    if (hFlags & 0x1) throw new Mp4FormatError('tfhd: explicit base data offsets are not supported');
    if (hFlags & 0x2) at += 4;
    let defaultDuration = 0;
    let defaultSize = 0;
    let defaultFlags = 0;
    if (hFlags & 0x8) (defaultDuration = h.readUInt32BE(at)), (at += 4);
    if (hFlags & 0x10) (defaultSize = h.readUInt32BE(at)), (at += 4);
    if (hFlags & 0x20) defaultFlags = h.readUInt32BE(at);

    const tfdtBox = child(traf, 'tfdt');
    let decodeTime = 0;
    if (tfdtBox) {
      const t = payload(tfdtBox);
      decodeTime = t.readUInt8(0) === 1 ? Number(t.readBigUInt64BE(4)) : t.readUInt32BE(4);
    }

    const r = payload(trunBox);
    const rFlags = r.readUInt32BE(0) & 0xffffff;
    const count = r.readUInt32BE(4);
    at = 8;
    let dataOffset = 0;
    if (rFlags & 0x1) (dataOffset = r.readInt32BE(at)), (at += 4);
    let firstFlags: number | null = null;
    if (rFlags & 0x4) (firstFlags = r.readUInt32BE(at)), (at += 4);
    // Offsets are relative to the moof's first byte; the mdat follows it directly.
    let offset = dataOffset - moof.bytes.length - mdat.headerSize;
    const data = payload(mdat);
    for (let i = 0; i < count; i++) {
      const duration = rFlags & 0x100 ? r.readUInt32BE((at += 4) - 4) : defaultDuration;
      const size = rFlags & 0x200 ? r.readUInt32BE((at += 4) - 4) : defaultSize;
      let flags = rFlags & 0x400 ? r.readUInt32BE((at += 4) - 4) : defaultFlags;
      if (i === 0 && firstFlags !== null) flags = firstFlags;
      const cto = rFlags & 0x800 ? r.readInt32BE((at += 4) - 4) : 0;
      if (offset < 0 || offset + size > data.length) throw new Mp4FormatError(`trun: sample ${i} lies outside its mdat`);
      samples.push({ trackId, time: decodeTime + cto, duration, key: !(flags & SAMPLE_NON_SYNC), data: data.subarray(offset, offset + size) });
      offset += size;
      decodeTime += duration;
    }
  }
  return samples;
}
