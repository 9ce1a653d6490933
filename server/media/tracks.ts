/** What the relay knows of a room's stream: each track's decoder setup, and its frames. */

export interface VideoTrackInfo {
  kind: 'video';
  /** Units of a second that sample times count in (FLV: milliseconds). */
  timescale: number;
  /** RFC 6381 codec string, e.g. avc1.42c028 (read from the avcC, never assumed). */
  codec: string;
  /** From the encoder's metadata; 0 when it gave none (decoders read it from the stream). */
  width: number;
  height: number;
  /** The avcC record: WebCodecs' `description`. */
  description: Buffer;
}

export interface AudioTrackInfo {
  kind: 'audio';
  timescale: number;
  codec: string;
  sampleRate: number;
  channels: number;
  /** AudioSpecificConfig: WebCodecs' `description` for AAC. */
  description: Buffer;
}

export type TrackInfo = VideoTrackInfo | AudioTrackInfo;

export interface Sample {
  kind: TrackInfo['kind'];
  /** Presentation time in the track's timescale. */
  time: number;
  key: boolean;
  data: Buffer;
}

export class MediaFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaFormatError';
  }
}
