/**
 * The seam between the player and the ways a room's picture can travel.
 *
 * A room's configuration lists its web sources in order of preference (`stream.web`, today one
 * `{ kind: 'hls' }` from nginx-rtmp). Each kind has a driver that knows how to put that source
 * into a <video> element; the Player around it (player.ts) knows nothing of the kind: it only
 * sees the <video>, and does retries, autoplay, volume and stats the same way for every path.
 *
 * To add a faster path later ('fmp4-ws': fragmented MP4 over the admin service's WebSocket into
 * MSE; 'webrtc': an RTCPeerConnection whose stream goes to video.srcObject), write a driver in
 * its own file and add it to DRIVERS below. The server then lists it before 'hls' and browsers
 * that can play it will, while the rest keep using HLS.
 */
import type { PlaybackSource } from '../shared/types.js';
import { hlsDriver } from './hls.js';

export interface AttachOptions {
  muted: boolean;
  /** A small dashboard preview: less buffering ambition, no latency chasing. */
  preview?: boolean;
  /** The path cannot go on (manifest gone, decoder error, socket closed): the Player retries. */
  onFatal(reason: string): void;
}

/** One attached source. The Player owns `video` for playback control; the driver owns the rest. */
export interface PlaybackSession {
  readonly kind: string;
  readonly video: HTMLVideoElement;
  /** How far behind the live edge playback is, in ms, when the path can tell. */
  delayMs(): number | null;
  /** Tears down the path and removes `video` from the page. */
  destroy(): void;
}

export interface SourceDriver {
  readonly kind: string;
  /** Can this browser play this kind at all? */
  supported(): boolean;
  attach(host: HTMLElement, source: PlaybackSource, opts: AttachOptions): PlaybackSession;
}

const DRIVERS: Record<string, SourceDriver> = {
  hls: hlsDriver,
  // 'fmp4-ws': fmp4WsDriver,
  // webrtc: webrtcDriver,
};

/** The first source, in the server's order, that this browser has a working driver for. */
export function chooseSource(sources: readonly PlaybackSource[]): { driver: SourceDriver; source: PlaybackSource } | null {
  for (const source of sources) {
    const driver = DRIVERS[source.kind];
    if (driver?.supported()) return { driver, source };
  }
  return null;
}

/** A plain <video> element set up for inline, silent-first live playback. */
export function createVideoElement(muted: boolean): HTMLVideoElement {
  const video = document.createElement('video');
  video.className = 'media';
  video.muted = muted;
  video.defaultMuted = muted;
  video.playsInline = true;
  video.setAttribute('playsinline', '');
  video.setAttribute('webkit-playsinline', '');
  video.preload = 'auto';
  video.disableRemotePlayback = true;
  video.controls = false;
  return video;
}
