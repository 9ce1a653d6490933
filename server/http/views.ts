/** The JSON shapes the API returns. */
import type { RoomRecord, RoomStatus } from '../rooms/types.js';
import { clipboardMode, type ClipboardMode } from '../rooms/clipboard.js';
import { keepsLogins } from '../rooms/profiles.js';
import type { Config } from '../config.js';
import type { SessionView } from '../rooms/sessionLimits.js';

export interface PlaybackSource {
  /**
   * 'fast': encoded frames over the admin service's WebSocket (server/media/), ~0.1 s behind;
   * 'hls': nginx-rtmp's HLS, ~1-1.5 s behind, cacheable, for the audience beyond the fast seats.
   */
  kind: string;
  url: string;
  mimeType: string;
}

export interface RoomView {
  id: string;
  name: string;
  /** The page participants open (the link to share): https on the appliance. */
  shareUrl: string;
  /**
   * The same page per scheme: `http` only where room pages are served on plain HTTP (the
   * appliance's own CA: no certificate warning for people who did not trust it, a little slower).
   */
  shareUrls: { https: string | null; http: string | null };
  /** This room's RoomService API. */
  roomServiceUrl: string;
  stream: { rtmp: string; web: PlaybackSource[] };
  /** The VNC WebSocket; opens only with a token from the room service. */
  vncUrl: string;
  config: RoomRecord['config'] & { clipboard: ClipboardMode; keepLogins: boolean; hasPassword: boolean };
  status: RoomStatus;
  /** Idle stop and time limit in force, and when this session ends (rooms/sessionLimits.ts). */
  session: SessionView;
  /** Who is in the room now: how many participants, and the driver's name. */
  people: { participants: number; holder: string | null };
  createdAt: string;
}

export function mediaUrl(base: URL, roomId: string): string {
  return `${base.origin.replace(/^http/, 'ws')}/api/rooms/${roomId}/media`;
}

export function vncUrl(base: URL, roomId: string): string {
  return `${base.origin.replace(/^http/, 'ws')}/api/rooms/${roomId}/vnc`;
}

/** Origins of the share links (see linkBases in access.ts); without them, the request's base. */
export interface ShareBases {
  primary: string;
  https: string | null;
  http: string | null;
}

/**
 * RTMP for external players. A password room's URL carries its playback token (see
 * media/playbackKeys.ts): the view is given only to those who may watch (GetConfiguration needs
 * the room's access, the dashboard the admin), and nginx-rtmp's on_play refuses a play without it.
 * HLS needs no token: its requests are same-origin and carry the room cookie.
 */
export function rtmpUrl(base: URL, config: Config, roomId: string, playToken: string | null): string {
  const url = `rtmp://${base.hostname}:${config.rtmpPublicPort}/live/${roomId}`;
  return playToken ? `${url}?token=${encodeURIComponent(playToken)}` : url;
}

export function roomView(room: RoomRecord, status: RoomStatus, base: URL, config: Config, people: RoomView['people'], session: SessionView, share?: ShareBases, playToken: string | null = null): RoomView {
  const origin = base.origin;
  const page = (o: string | null) => (o === null ? null : `${o}/rooms/${room.id}`);
  const bases = share ?? { primary: origin, https: origin.startsWith('https:') ? origin : null, http: origin.startsWith('http:') ? origin : null };
  return {
    id: room.id,
    name: room.name,
    shareUrl: page(bases.primary)!,
    shareUrls: { https: page(bases.https), http: page(bases.http) },
    roomServiceUrl: `${origin}/api/rooms/${room.id}`,
    stream: {
      rtmp: rtmpUrl(base, config, room.id, playToken),
      // In order of preference; the page falls back along this list on its own.
      web: [
        { kind: 'fast', url: mediaUrl(base, room.id), mimeType: 'application/x-streambox-frames' },
        { kind: 'hls', url: `${origin}${config.hlsPathPrefix}/${room.id}.m3u8`, mimeType: 'application/x-mpegURL' },
      ],
    },
    vncUrl: vncUrl(base, room.id),
    config: { ...room.config, clipboard: clipboardMode(room.config), keepLogins: keepsLogins(room.config), hasPassword: room.passwordHash !== null },
    status,
    session,
    people,
    createdAt: room.createdAt,
  };
}
