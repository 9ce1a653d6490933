/**
 * Just enough FLV to relay a live encoder's output frame by frame.
 *
 * The room's ffmpeg sends the fast path as two FLV streams, one per track (tee slaves with
 * `select=v` and `select=a`): a muxer with a single stream writes each packet the moment it gets
 * it, where one with two streams holds each packet until the other stream has caught up, and a
 * fragmented MP4 muxer holds each frame until the next one (a frame interval, 33 ms). FLV's tags
 * carry their size up front, so a frame is relayed as soon as its last byte arrives.
 *
 * Framing: flvTags.ts. Inside the tags, H.264 video data: frame type/codec byte, AVCPacketType (0 = avcC, 1 = frames),
 * s24 composition time. AAC audio data: format byte, AACPacketType (0 = AudioSpecificConfig, 1 = raw).
 */
import type { AudioTrackInfo, Sample, TrackInfo, VideoTrackInfo } from './tracks.js';
import { MediaFormatError } from './tracks.js';
import { FlvTagSplitter, TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO } from './flvTags.js';

export { MAX_TAG_BYTES } from './flvTags.js';

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export interface FlvTarget {
  /** The stream's onMetaData, which ffmpeg writes before any audio or video tag. */
  metadata?(meta: FlvMetadata): void;
  setTrack(track: TrackInfo): void;
  publish(sample: Sample): void;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** What the fast path reads from ffmpeg's onMetaData (an AMF0 ECMA array of numbers, strings, booleans). */
export interface FlvMetadata {
  width: number;
  height: number;
  /** `-metadata streambox_key=...`: the room's ingest key (never in ffmpeg's argv: see ffmpeg@.service). */
  streamboxKey: string | null;
}

function readMetadata(data: Buffer): FlvMetadata {
  const meta: FlvMetadata = { width: 0, height: 0, streamboxKey: null };
  // "onMetaData" (type 2 string), then type 8 ECMA array: u32 count, then key/value pairs.
  let at = 0;
  if (data.readUInt8(at) !== 2) return meta;
  at += 3 + data.readUInt16BE(at + 1);
  if (data.readUInt8(at) !== 8) return meta;
  at += 5;
  while (at + 3 <= data.length) {
    const keyLength = data.readUInt16BE(at);
    if (keyLength === 0) break; // object end marker
    const key = data.toString('latin1', at + 2, at + 2 + keyLength);
    at += 2 + keyLength;
    const type = data.readUInt8(at++);
    if (type === 0) {
      const value = data.readDoubleBE(at);
      at += 8;
      if (key === 'width') meta.width = value;
      if (key === 'height') meta.height = value;
    } else if (type === 1) at += 1;
    else if (type === 2) {
      const length = data.readUInt16BE(at);
      if (key === 'streambox_key') meta.streamboxKey = data.toString('latin1', at + 2, at + 2 + length).trim();
      at += 2 + length;
    } else break; // a type ffmpeg does not write here: stop, what we need comes first
  }
  return meta;
}

/** Reads one FLV stream (one track) from its bytes, whatever their chunking. */
export class FlvReader {
  private readonly splitter = new FlvTagSplitter({ tag: ({ type, time, data }) => this.onTag(type, time, data) });
  private size: FlvMetadata = { width: 0, height: 0, streamboxKey: null };

  constructor(private readonly target: FlvTarget) {}

  /** Feeds bytes. Throws MediaFormatError when the stream is not what our encoder writes. */
  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  private onTag(type: number, time: number, data: Buffer): void {
    if (type === TAG_SCRIPT) {
      this.size = readMetadata(data);
      this.target.metadata?.(this.size);
    } else if (type === TAG_VIDEO) {
      if ((data.readUInt8(0) & 0x0f) !== 7) throw new MediaFormatError('FLV video is not H.264');
      const key = data.readUInt8(0) >> 4 === 1;
      const packetType = data.readUInt8(1);
      const body = data.subarray(5);
      if (packetType === 0) {
        const video: VideoTrackInfo = {
          kind: 'video',
          timescale: 1000,
          codec: `avc1.${hex2(body.readUInt8(1))}${hex2(body.readUInt8(2))}${hex2(body.readUInt8(3))}`,
          width: this.size.width,
          height: this.size.height,
          description: Buffer.from(body),
        };
        this.target.setTrack(video);
      } else if (packetType === 1) {
        const cto = data.readIntBE(2, 3);
        this.target.publish({ kind: 'video', time: time + cto, key, data: body });
      }
    } else if (type === TAG_AUDIO) {
      if (data.readUInt8(0) >> 4 !== 10) throw new MediaFormatError('FLV audio is not AAC');
      const body = data.subarray(2);
      if (data.readUInt8(1) === 0) {
        // AudioSpecificConfig: 5 bits object type, 4 bits rate index, 4 bits channel configuration.
        const bits = body.readUInt16BE(0);
        const audio: AudioTrackInfo = {
          kind: 'audio',
          timescale: 1000,
          codec: `mp4a.40.${bits >> 11}`,
          sampleRate: AAC_RATES[(bits >> 7) & 0x0f] ?? 48000,
          channels: (bits >> 3) & 0x0f,
          description: Buffer.from(body),
        };
        this.target.setTrack(audio);
      } else {
        this.target.publish({ kind: 'audio', time, key: true, data: body });
      }
    }
  }
}
