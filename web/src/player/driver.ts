/**
 * The contract between the Player (player.ts) and the drivers that put a room's picture into a
 * <video> (fast.ts, mse.ts, hls.ts). Types only: drivers and source.ts both import it, so neither
 * imports the other's module for its shape.
 */
import type { PlaybackSource } from '../shared/types.js';

/**
 * What a failure rules out for a while: 'path' only this driver (its decoder failed), 'source'
 * every driver of the source's kind (its socket is refused or its seats are full).
 */
export type FatalScope = 'path' | 'source';

export interface FatalHint {
  /** This path does not work here now (refused, unsupported, full): try the next one at once. */
  fallback?: boolean;
  scope?: FatalScope;
  /** A short reason for the stats overlay ("every fast-path seat is taken"). */
  why?: string;
}

export interface AttachOptions {
  muted: boolean;
  /** A small dashboard preview: less buffering ambition, no latency chasing. */
  preview?: boolean;
  /** The path cannot go on (manifest gone, decoder error, socket closed): the Player retries. */
  onFatal(reason: string, hint?: FatalHint): void;
}

/** One attached source. The Player owns `video` for playback control; the driver owns the rest. */
export interface PlaybackSession {
  /** The source kind it plays ('fast', 'hls'). */
  readonly kind: string;
  readonly video: HTMLVideoElement;
  /**
   * An element playing the sound apart from `video` (the MSE path: mseSound.ts), or absent when
   * `video` plays both. The Player mutes, sets the level and plays it together with `video`.
   */
  readonly sound?: HTMLMediaElement;
  /** How far behind the live edge playback is, in ms, when the path can tell. */
  delayMs(): number | null;
  /** Tears down the path and removes `video` from the page. */
  destroy(): void;
}

export interface SourceDriver {
  /** The source kind it plays (`PlaybackSource.kind`); several drivers may play one kind. */
  readonly kind: string;
  /** This way of playing: 'fast' (WebCodecs), 'fast-mse', 'hls'. */
  readonly path: string;
  /** What `?path=` calls it on a room link. */
  readonly param: string;
  /** How the stats overlay names it. */
  readonly label: string;
  /** Why this browser cannot use it, or null when it can. */
  unsupported(): string | null;
  attach(host: HTMLElement, source: PlaybackSource, opts: AttachOptions): PlaybackSession;
}
