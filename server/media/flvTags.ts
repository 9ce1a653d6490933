/**
 * FLV's framing, and nothing else: splits a byte stream, whatever its chunking, into the stream
 * header and whole tags. The fast path's reader (flv.ts) reads what is inside the tags; the
 * ingest buffer (server/ingestBuffer/) only needs to know where each tag starts and ends, and
 * which are the ones a reader must see again after a reconnection.
 *
 * Layout: a 9-byte header (its u32 at byte 5 is the header's length) and a 4-byte
 * PreviousTagSize, then tags: type (8 audio, 9 video, 18 script), u24 data size, u24 timestamp +
 * u8 extension (ms), u24 stream ID, data, u32 PreviousTagSize.
 */
import { MediaFormatError } from './tracks.js';

export const TAG_HEADER_BYTES = 11;
/**
 * A 1080p key frame is ~100-300 KB; anything near this is broken input. Below FLV's u24 size
 * field's own ceiling (16 MiB - 1); the same as the relay's GOP cache (relay.ts), which a bigger
 * frame would overflow on its own.
 */
export const MAX_TAG_BYTES = 8 * 1024 * 1024;

export const TAG_AUDIO = 8;
export const TAG_VIDEO = 9;
export const TAG_SCRIPT = 18;

export interface FlvTag {
  type: number;
  /** Milliseconds. */
  time: number;
  /** The tag's body (after the 11-byte header, before the PreviousTagSize). */
  data: Buffer;
  /** The whole tag as it came: header, body and PreviousTagSize. */
  raw: Buffer;
}

export interface FlvTagSink {
  /** The stream header with its PreviousTagSize0, once, before any tag. */
  header?(raw: Buffer): void;
  tag(tag: FlvTag): void;
}

export class FlvTagSplitter {
  private buffer: Buffer = Buffer.alloc(0);
  private headerDone = false;

  constructor(private readonly sink: FlvTagSink) {}

  /** Feeds bytes. Throws MediaFormatError when they are not FLV or a tag is impossibly large. */
  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    if (!this.headerDone) {
      if (this.buffer.length < 13) return;
      if (this.buffer.toString('latin1', 0, 3) !== 'FLV') throw new MediaFormatError('not an FLV stream');
      const headerBytes = this.buffer.readUInt32BE(5) + 4;
      if (headerBytes > 64) throw new MediaFormatError('FLV header of an impossible size');
      if (this.buffer.length < headerBytes) return;
      this.headerDone = true;
      this.sink.header?.(this.buffer.subarray(0, headerBytes));
      this.buffer = this.buffer.subarray(headerBytes);
    }
    while (this.buffer.length >= TAG_HEADER_BYTES) {
      const dataSize = this.buffer.readUIntBE(1, 3);
      if (dataSize > MAX_TAG_BYTES) throw new MediaFormatError(`FLV tag of ${dataSize} bytes is too large`);
      const total = TAG_HEADER_BYTES + dataSize + 4;
      if (this.buffer.length < total) return;
      const raw = this.buffer.subarray(0, total);
      this.buffer = this.buffer.subarray(total);
      this.sink.tag({
        type: raw.readUInt8(0),
        time: raw.readUIntBE(4, 3) + raw.readUInt8(7) * 0x1000000,
        data: raw.subarray(TAG_HEADER_BYTES, TAG_HEADER_BYTES + dataSize),
        raw,
      });
    }
  }

  /** Bytes held for a tag that has not ended yet. */
  get pendingBytes(): number {
    return this.buffer.length;
  }
}

/**
 * A video tag carrying a key frame: frame type 1 in the body's first byte, and H.264 pictures
 * (AVCPacketType 1; the set-up (0) and end-of-sequence (2) tags carry the key flag too).
 */
export const isKeyFrameTag = (tag: FlvTag): boolean => tag.type === TAG_VIDEO && tag.data.length > 1 && tag.data.readUInt8(0) >> 4 === 1 && tag.data.readUInt8(1) === 1;

/** A decoder set-up tag: H.264's avcC (AVCPacketType 0) or AAC's AudioSpecificConfig (AACPacketType 0). */
export const isSequenceHeaderTag = (tag: FlvTag): boolean => (tag.type === TAG_VIDEO || tag.type === TAG_AUDIO) && tag.data.length > 1 && tag.data.readUInt8(1) === 0;
