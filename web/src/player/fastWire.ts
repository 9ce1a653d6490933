/**
 * Reading the fast path's WebSocket messages. The format (header layout, messages, close codes)
 * is protocol/fastPath.ts, which the server writes with; this module keeps the names the player
 * has always imported from here.
 */
import { decodeFrame, type WireFrame } from '../../../protocol/fastPath.js';

export { TRACK_AUDIO, TRACK_VIDEO } from '../../../protocol/fastPath.js';
export type { ServerMessage, WireAudioConfig, WireFrame, WireVideoConfig } from '../../../protocol/fastPath.js';
export { CLOSE_SEATS_FULL, CLOSE_ROOM_DELETED as CLOSE_ROOM_GONE } from '../../../protocol/closeCodes.js';
export { base64Decode as base64Bytes } from '../../../protocol/base64.js';

/** One binary message: its header and a view of the frame's bytes; null when too short. */
export function parseFrame(buf: ArrayBuffer): WireFrame | null {
  return decodeFrame(buf);
}
