/**
 * Keeping an MSE player at the live edge (mse.ts): a pure policy, unit-tested in
 * test/unit/playerPaths.test.ts. Measured on this project's machines (the team's platform notes): aiming
 * 0.03 s behind the buffered end stalls 1-3 times a second, 0.1 s plays smoothly at 190-230 ms
 * glass to glass. A live picture never waits: a gap or a stall with data beyond it is jumped over.
 */

/** Where playback aims at first: this far behind the end of what is buffered, in seconds. */
export const TARGET_LAG_S = 0.1;
/** A network or machine that delivers frames late (stalls at the edge) moves the aim back, up to this. */
export const MAX_TARGET_LAG_S = 0.25;
/**
 * Further behind the aim than this (0.5 s behind the end at the first aim), playback jumps to
 * the aim instead of catching up by speed. Counted from the aim, not the end: with the aim moved
 * back and a stall's worth of lag, a fixed 0.5 s made every stall a jump, and every jump (a
 * decode from the key frame) the next stall.
 */
export const FAR_LAG_S = 0.4;
/** Speeding up by at most this much is inaudible enough and catches up 0.1 s per second. */
export const MAX_RATE = 1.1;

export interface EdgeState {
  currentTime: number;
  /** The element's buffered ranges (what every track has: the video's, as sound is stamped ahead). */
  ranges: readonly (readonly [number, number])[];
  /** Playback should move but cannot (a 'waiting' event, or readyState below HAVE_FUTURE_DATA). */
  stalled: boolean;
  /** How far behind the end to aim (EdgeTarget.target); TARGET_LAG_S by default. */
  target?: number;
  /**
   * The lag without the frame-arrival sawtooth (EdgeTarget.steadyLag: the least over the last
   * second), for the speed decision; the lag now by default. Deciding on the raw lag would flip
   * the playback rate several times a second, and every change re-times the sound.
   */
  steadyLag?: number;
  /** Playback has been stalled this long (ms), 0 when it moves. */
  stalledForMs?: number;
  /** The last action was 'catch up' (hysteresis: it goes on until the lag is nearly the aim). */
  catchingUp?: boolean;
}

export interface EdgeAction {
  /** Jump here (always forward), or null to stay. */
  seekTo: number | null;
  playbackRate: number;
  /** 'starved': stuck at the edge, waiting for data (nothing to jump over). */
  why: 'no data' | 'start' | 'gap' | 'far' | 'stall' | 'starved' | 'catch up' | 'at edge';
}

/**
 * A stall with data ahead is jumped over once it has lasted this long. Shorter ones are frames
 * that came late and have just arrived: the element resumes by itself within a frame, where a
 * jump would cost a decode from the last key frame (~0.3 s at 1080p in software, measured).
 */
export const STUCK_MS = 400;

export function keepAtEdge({ currentTime, ranges, stalled, target: aim = TARGET_LAG_S, steadyLag, stalledForMs = Infinity, catchingUp = false }: EdgeState): EdgeAction {
  const last = ranges[ranges.length - 1];
  if (!last) return { seekTo: null, playbackRate: 1, why: stalled ? 'starved' : 'no data' };
  const [start, end] = last;
  const target = Math.max(start, end - aim);
  const lag = end - currentTime;
  const forward = (why: EdgeAction['why']): EdgeAction =>
    target > currentTime + 0.001 ? { seekTo: target, playbackRate: 1, why } : { seekTo: null, playbackRate: 1, why: 'at edge' };
  // Not yet inside the newest range: the very start (currentTime 0), or a gap left by lost frames.
  if (currentTime < start) return forward(ranges.length > 1 ? 'gap' : 'start');
  if (lag > aim + FAR_LAG_S) return forward('far');
  // Stuck with data ahead of us (a hole the decoder will not cross, a decoder hiccup): jump.
  if (stalled && lag > aim + 0.05 && stalledForMs >= STUCK_MS) return forward('stall');
  if (stalled) return { seekTo: null, playbackRate: 1, why: lag > aim + 0.05 ? 'stall' : 'starved' };
  const over = Math.min(lag, steadyLag ?? lag) - aim;
  if (over > (catchingUp ? 0.01 : 0.05)) return { seekTo: null, playbackRate: Math.min(MAX_RATE, 1 + Math.max(0.03, over)), why: 'catch up' };
  return { seekTo: null, playbackRate: 1, why: 'at edge' };
}

/** Lag samples kept for steadyLag: a second's worth at the driver's 200 ms tick. */
const LAG_SAMPLES = 5;
/** Each stall at the edge moves the aim back by this much... */
const STARVED_STEP_S = 0.05;
/** ...and every this long without one, it comes forward again by a frame's worth. */
const CALM_STEP_MS = 3000;
const CALM_STEP_S = 0.033;

/** The aim behind the edge, adapted to how late frames arrive here; and the steady lag. */
export class EdgeTarget {
  target = TARGET_LAG_S;
  private lags: number[] = [];
  private calmSince: number;

  constructor(now: number) {
    this.calmSince = now;
  }

  get steadyLag(): number | undefined {
    return this.lags.length ? Math.min(...this.lags) : undefined;
  }

  /** Every tick, with the lag now (seconds behind the buffered end). */
  sample(lag: number, now: number): void {
    this.lags.push(lag);
    if (this.lags.length > LAG_SAMPLES) this.lags.shift();
    if (now - this.calmSince >= CALM_STEP_MS && this.target > TARGET_LAG_S) {
      this.target = Math.max(TARGET_LAG_S, this.target - CALM_STEP_S);
      this.calmSince = now;
    }
  }

  /** Playback stalled at the edge (data came late): aim further back. Once per stall. */
  starved(now: number): void {
    this.target = Math.min(MAX_TARGET_LAG_S, this.target + STARVED_STEP_S);
    this.calmSince = now;
  }

  /** After a jump the old samples describe another position. */
  jumped(): void {
    this.lags = [];
  }
}

/**
 * How much to remove from the start of a buffer: everything older than `keepS` behind playback,
 * once there is more than a second of it (removing costs a buffer operation, so not every tick).
 */
export function trimEnd(bufferStart: number | null, currentTime: number, keepS: number): number | null {
  if (bufferStart === null) return null;
  const until = currentTime - keepS;
  return until - bufferStart > 1 ? until : null;
}
