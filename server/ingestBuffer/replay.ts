/**
 * What a reader must be sent again to pick an FLV stream up in the middle: the stream header,
 * the last onMetaData (it carries the room's ingest key, which the admin service checks before
 * anything else), the decoder set-up tags (avcC, AudioSpecificConfig), and the video tags since
 * the last key frame, so that the fast path has a whole group of pictures to start from at once
 * instead of waiting up to a key-frame interval for the next one.
 */
import { isKeyFrameTag, isSequenceHeaderTag, TAG_SCRIPT, type FlvTag } from '../media/flvTags.js';

/** Above this the group of pictures is dropped (a frame this big would not be relayed anyway). */
export const REPLAY_MAX_BYTES = 8 * 1024 * 1024;

export class ReplayCache {
  private header: Buffer | null = null;
  private metadata: Buffer | null = null;
  private readonly sequenceHeaders = new Map<number, Buffer>();
  private gop: Buffer[] = [];
  private gopBytes = 0;

  setHeader(raw: Buffer): void {
    this.header = Buffer.from(raw);
  }

  /** Remembers what a tag changes; copies what it keeps (the splitter's buffers are reused views). */
  add(tag: FlvTag): void {
    if (tag.type === TAG_SCRIPT) this.metadata = Buffer.from(tag.raw);
    else if (isSequenceHeaderTag(tag)) {
      this.sequenceHeaders.set(tag.type, Buffer.from(tag.raw));
      this.clearGop();
    } else if (isKeyFrameTag(tag)) {
      this.clearGop();
      this.keep(tag.raw);
    } else if (this.gop.length > 0 && tag.type === 9) this.keep(tag.raw);
  }

  /** The bytes a new reader gets first, in stream order; empty before the stream header. */
  snapshot(): Buffer[] {
    if (!this.header) return [];
    return [this.header, ...(this.metadata ? [this.metadata] : []), ...this.sequenceHeaders.values(), ...this.gop];
  }

  get bytes(): number {
    return this.gopBytes;
  }

  private keep(raw: Buffer): void {
    if (this.gopBytes + raw.length > REPLAY_MAX_BYTES) return this.clearGop();
    this.gop.push(Buffer.from(raw));
    this.gopBytes += raw.length;
  }

  private clearGop(): void {
    this.gop = [];
    this.gopBytes = 0;
  }
}
