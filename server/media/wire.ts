/**
 * The fast path's wire format on the server side: the format itself (header layout, messages,
 * close codes) lives in protocol/fastPath.ts, shared with the room page; this module turns the
 * relay's tracks and samples into those messages, into Buffers that go to `ws` as they are.
 */
import type { AudioTrackInfo, VideoTrackInfo } from './tracks.js';
import { FRAME_HEADER_BYTES, encodeMessage, writeFrameHeader, type ServerMessage } from '../../protocol/fastPath.js';

export { FRAME_HEADER_BYTES, TRACK_AUDIO, TRACK_VIDEO } from '../../protocol/fastPath.js';
export type { ClientMessage, ServerMessage, WireAudioConfig, WireVideoConfig } from '../../protocol/fastPath.js';
export { CLOSE_SEATS_FULL, CLOSE_ROOM_DELETED as CLOSE_ROOM_GONE } from '../../protocol/closeCodes.js';

export function initMessage(video: VideoTrackInfo, audio: AudioTrackInfo | null): string {
  const msg: ServerMessage = {
    type: 'init',
    video: { codec: video.codec, codedWidth: video.width, codedHeight: video.height, description: video.description.toString('base64') },
    audio: audio && { codec: audio.codec, sampleRate: audio.sampleRate, numberOfChannels: audio.channels, description: audio.description.toString('base64') },
  };
  return encodeMessage(msg);
}

/** One frame's message; a Buffer from Node's pool (no zero-filling: every byte is written). */
export function frameMessage(track: number, key: boolean, timeUs: number, receivedAtMs: number, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + data.length);
  writeFrameHeader(out, { track, key, timestampUs: timeUs, receivedAtMs });
  data.copy(out, FRAME_HEADER_BYTES);
  return out;
}
