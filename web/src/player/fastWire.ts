/**
 * Reading the fast path's WebSocket messages. The format is defined (and written) by
 * server/media/wire.ts; only its types are shared, the byte layout is repeated here.
 */
import type { ServerMessage, WireAudioConfig, WireVideoConfig } from '../../../server/media/wire.js';

export type { ServerMessage, WireAudioConfig, WireVideoConfig };

export const TRACK_VIDEO = 1;
export const TRACK_AUDIO = 2;
const HEADER_BYTES = 20;

/** Close codes the server uses (server/media/wire.ts). */
export const CLOSE_SEATS_FULL = 4003;
export const CLOSE_ROOM_GONE = 4004;

export interface WireFrame {
  track: number;
  key: boolean;
  /** Presentation time, µs (encoder clock). */
  timestampUs: number;
  /** When the server's relay received it, ms since the epoch (server clock). */
  receivedAtMs: number;
  data: Uint8Array;
}

export function parseFrame(buf: ArrayBuffer): WireFrame | null {
  if (buf.byteLength < HEADER_BYTES) return null;
  const view = new DataView(buf);
  return {
    track: view.getUint8(0),
    key: (view.getUint8(1) & 1) === 1,
    timestampUs: view.getFloat64(4),
    receivedAtMs: view.getFloat64(12),
    data: new Uint8Array(buf, HEADER_BYTES),
  };
}

export function base64Bytes(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
