/**
 * The fast path's messages: the room page's WebSocket GET /api/rooms/:id/media (server side:
 * server/media/, page side: web/src/player/). Both ends encode and decode with this module.
 *
 * Text messages are JSON control messages (`ServerMessage`, `ClientMessage`). Binary messages
 * are one encoded frame each: a fixed 20-byte header, then the frame's bytes as the encoder wrote
 * them (H.264 in AVC format for video, raw AAC for audio). All numbers big-endian:
 *
 *   0  u8   track: 1 video, 2 audio
 *   1  u8   flags: bit 0 = key frame (other bits 0)
 *   2  u16  reserved (0)
 *   4  f64  presentation time, microseconds (the encoder's clock)
 *   12 f64  when the relay received it, ms since the epoch (the server's clock)
 *
 * Close codes: closeCodes.ts (4003 seats full, 4004 room deleted, 4010 removed, 4011 password).
 */

import { decodeTyped } from './json.js';

export const FRAME_HEADER_BYTES = 20;
export const TRACK_VIDEO = 1;
export const TRACK_AUDIO = 2;
const FLAG_KEY = 1;

/** WebCodecs' VideoDecoderConfig, as sent. */
export interface WireVideoConfig {
  codec: string;
  codedWidth: number;
  codedHeight: number;
  /** base64 of the avcC record. */
  description: string;
}

/** WebCodecs' AudioDecoderConfig, as sent. */
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
  /** Every fast-path seat is taken: use the audience path (HLS). The 4003 close follows. */
  | { type: 'full'; seats: number };

export type ClientMessage = { type: 'ping'; t: number };

/** What the 20-byte header says about the frame after it. */
export interface FrameHeader {
  track: number;
  key: boolean;
  /** Presentation time, µs (encoder clock). */
  timestampUs: number;
  /** When the server's relay received it, ms since the epoch (server clock). */
  receivedAtMs: number;
}

export interface WireFrame extends FrameHeader {
  data: Uint8Array;
}

/** Writes the header into the first FRAME_HEADER_BYTES of `out` (lets the server fill a buffer it allocated). */
export function writeFrameHeader(out: Uint8Array, header: FrameHeader): void {
  if (out.byteLength < FRAME_HEADER_BYTES) throw new RangeError(`a frame header needs ${FRAME_HEADER_BYTES} bytes`);
  const view = new DataView(out.buffer, out.byteOffset, FRAME_HEADER_BYTES);
  view.setUint8(0, header.track);
  view.setUint8(1, header.key ? FLAG_KEY : 0);
  view.setUint16(2, 0);
  view.setFloat64(4, header.timestampUs);
  view.setFloat64(12, header.receivedAtMs);
}

/** One binary message: header, then the frame. */
export function encodeFrame(header: FrameHeader, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + data.byteLength);
  writeFrameHeader(out, header);
  out.set(data, FRAME_HEADER_BYTES);
  return out;
}

/** Reads one binary message; null when it is shorter than a header. `data` is a view, not a copy. */
export function decodeFrame(message: ArrayBuffer | Uint8Array): WireFrame | null {
  const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
  if (bytes.byteLength < FRAME_HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    track: view.getUint8(0),
    key: (view.getUint8(1) & FLAG_KEY) === FLAG_KEY,
    timestampUs: view.getFloat64(4),
    receivedAtMs: view.getFloat64(12),
    data: bytes.subarray(FRAME_HEADER_BYTES),
  };
}

export const encodeMessage = (msg: ServerMessage | ClientMessage): string => JSON.stringify(msg);

/** A server message from a text frame; null when it is not JSON with a string `type`. */
export function decodeServerMessage(text: string): ServerMessage | null {
  return decodeTyped(text) as ServerMessage | null;
}

/** The one client message there is; null for anything else (ignored, as before). */
export function decodeClientMessage(text: string): ClientMessage | null {
  const msg = decodeTyped(text) as { type: string; t?: unknown } | null;
  return msg?.type === 'ping' && typeof msg.t === 'number' ? { type: 'ping', t: msg.t } : null;
}
