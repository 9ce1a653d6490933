/** The JSON shapes the API returns. */
import type { RoomRecord, RoomStatus } from '../rooms/types.js';
import type { Config } from '../config.js';

export interface PlaybackSource {
  /** 'hls' today; faster paths (e.g. 'webrtc', 'fmp4-ws') are added beside it. */
  kind: string;
  url: string;
  mimeType: string;
}

export interface RoomView {
  id: string;
  name: string;
  /** The page participants open (the link to share). */
  shareUrl: string;
  /** This room's RoomService API. */
  roomServiceUrl: string;
  stream: { rtmp: string; web: PlaybackSource[] };
  /** The VNC WebSocket; opens only with a token from the room service. */
  vncUrl: string;
  config: RoomRecord['config'] & { hasPassword: boolean };
  status: RoomStatus;
  /** Who is in the room now: how many participants, and the driver's name. */
  people: { participants: number; holder: string | null };
  createdAt: string;
}

export function vncUrl(base: URL, roomId: string): string {
  return `${base.origin.replace(/^http/, 'ws')}/api/rooms/${roomId}/vnc`;
}

export function roomView(room: RoomRecord, status: RoomStatus, base: URL, config: Config, people: RoomView['people']): RoomView {
  const origin = base.origin;
  return {
    id: room.id,
    name: room.name,
    shareUrl: `${origin}/rooms/${room.id}`,
    roomServiceUrl: `${origin}/api/rooms/${room.id}`,
    stream: {
      rtmp: `rtmp://${base.hostname}:${config.rtmpPublicPort}/live/${room.id}`,
      web: [{ kind: 'hls', url: `${origin}${config.hlsPathPrefix}/${room.id}.m3u8`, mimeType: 'application/x-mpegURL' }],
    },
    vncUrl: vncUrl(base, room.id),
    config: { ...room.config, hasPassword: room.passwordHash !== null },
    status,
    people,
    createdAt: room.createdAt,
  };
}
