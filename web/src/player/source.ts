/**
 * The seam between the player and the ways a room's picture can travel.
 *
 * A room's configuration lists its web sources in order of preference (`stream.web`: 'fast', the
 * admin service's WebSocket relay decoded with WebCodecs, then 'hls' from nginx-rtmp). Each kind
 * has a driver that knows how to put that source into a <video> element; the Player around it
 * (player.ts) knows nothing of the kind: it only sees the <video>, and does retries, fallback,
 * autoplay, volume and stats the same way for every path.
 *
 * To add another path (e.g. 'webrtc': an RTCPeerConnection whose stream goes to video.srcObject),
 * write a driver in its own file and add it to DRIVERS below; the server lists it in `stream.web`.
 */
import type { PlaybackSource } from '../shared/types.js';
import { hlsDriver } from './hls.js';
import { fastDriver } from './fast.js';

export interface AttachOptions {
  muted: boolean;
  /** A small dashboard preview: less buffering ambition, no latency chasing. */
  preview?: boolean;
  /**
   * The path cannot go on (manifest gone, decoder error, socket closed): the Player retries.
   * `fallback`: this path does not work here now (refused, unsupported, full): try the next one.
   */
  onFatal(reason: string, hint?: { fallback?: boolean }): void;
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
  fast: fastDriver,
  hls: hlsDriver,
};

/**
 * The first source, in the server's order, that this browser has a working driver for and that
 * is not in `avoid` (paths that just failed here), else the first playable one at all.
 */
export function chooseSource(sources: readonly PlaybackSource[], avoid: ReadonlySet<string> = new Set()): { driver: SourceDriver; source: PlaybackSource } | null {
  const playable = sources.flatMap((source) => {
    const driver = DRIVERS[source.kind];
    return driver?.supported() ? [{ driver, source }] : [];
  });
  return playable.find((p) => !avoid.has(p.source.kind)) ?? playable[0] ?? null;
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
