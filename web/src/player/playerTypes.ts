/**
 * What the Player (player.ts) reports, as types only: its state, its stats and the path it plays.
 * Apart from player.ts so that the room page's state (room/state.ts) and its unit tests can name
 * them without pulling in the drivers, video.js and hls.js.
 */
export type PlayerState =
  /** Nothing loaded. */
  | 'idle'
  /** Loading, or retrying because the stream is not there yet (room starting). */
  | 'waiting'
  | 'playing'
  /** It was playing and stopped moving: reconnecting the path. */
  | 'stalled'
  /** The browser refused to start playback without a gesture, even muted. */
  | 'blocked'
  /** No source this browser can play. */
  | 'unsupported';

export interface PlayerStats {
  /** The driver playing: 'fast' (WebCodecs), 'fast-mse', 'hls'. */
  path: string | null;
  /** How the overlay names it: 'fast (WebCodecs)', 'fast (MSE)', 'hls'. */
  pathLabel: string | null;
  /** Why the better paths were passed over (unsupported here, failed, forced), or null. */
  pathWhy: string | null;
  /** The source kind it plays ('fast', 'hls'). */
  kind: string | null;
  width: number;
  height: number;
  /** Frames per second actually shown, measured over the last seconds. */
  fps: number | null;
  delayMs: number | null;
  droppedFrames: number | null;
}

/** The path the Player plays now (`PlayerOptions.onPath`). */
export interface PlayerPathInfo {
  /** 'fast' (WebCodecs), 'fast-mse', 'hls': the driver's `path`. */
  name: string;
  /** How the stats panel names it: 'fast (WebCodecs)', 'fast (MSE)', 'hls'. */
  label: string;
  /** Why the better paths were passed over (unsupported here, failed, forced), or null. */
  why: string | null;
}
