/**
 * What the fast path sends to a viewer over its WebSocket (web/src/player/fastWire.ts reads it).
 *
 * Text messages are JSON control messages (`ServerMessage`). Binary messages are one encoded
 * frame each: a fixed 20-byte header, then the frame's bytes as the encoder wrote them
 * (H.264 in AVC format for video, raw AAC for audio):
 *
 *   0  u8   track: 1 video, 2 audio
 *   1  u8   flags: bit 0 = key frame
 *   2  u16  reserved (0)
 *   4  f64  presentation time, microseconds (the encoder's clock)
 *   12 f64  when the relay received it, ms since the epoch (the server's clock)
 */
import type { AudioTrackInfo, VideoTrackInfo } from './tracks.js';

export const FRAME_HEADER_BYTES = 20;
export const TRACK_VIDEO = 1;
export const TRACK_AUDIO = 2;

export interface WireVideoConfig {
  codec: string;
  codedWidth: number;
  codedHeight: number;
  /** base64 of the avcC record. */
  description: string;
}

export interface WireAudioConfig {
  codec: string;
  sampleRate: number;
  numberOfChannels: number;
  /** base64 of the AudioSpecificConfig. */
  description: string;
}

export type ServerMessage =
  /** The decoders' setup; sent first, and again whenever the encoder restarts. */
  | { type: 'init'; video: WireVideoConfig; audio: WireAudioConfig | null }
  /** Answer to a ping: lets the page estimate the server's clock (for its delay figure). */
  | { type: 'pong'; t: number; serverTime: number }
  /** Every fast-path seat is taken: use the audience path (HLS). */
  | { type: 'full'; seats: number };

export type ClientMessage = { type: 'ping'; t: number };

/** Close codes the page acts on. */
export const CLOSE_SEATS_FULL = 4003;
export const CLOSE_ROOM_GONE = 4004;

export function initMessage(video: VideoTrackInfo, audio: AudioTrackInfo | null): string {
  const msg: ServerMessage = {
    type: 'init',
    video: { codec: video.codec, codedWidth: video.width, codedHeight: video.height, description: video.description.toString('base64') },
    audio: audio && { codec: audio.codec, sampleRate: audio.sampleRate, numberOfChannels: audio.channels, description: audio.description.toString('base64') },
  };
  return JSON.stringify(msg);
}

export function frameMessage(track: number, key: boolean, timeUs: number, receivedAtMs: number, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + data.length);
  out.writeUInt8(track, 0);
  out.writeUInt8(key ? 1 : 0, 1);
  out.writeUInt16BE(0, 2);
  out.writeDoubleBE(timeUs, 4);
  out.writeDoubleBE(receivedAtMs, 12);
  data.copy(out, FRAME_HEADER_BYTES);
  return out;
}
