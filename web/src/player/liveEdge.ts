/**
 * Keeping an MSE player at the live edge (mse.ts): a pure policy, unit-tested in
 * test/unit/mse.test.ts. Measured on this project's machines (shared/notes/platform.md): aiming
 * 0.03 s behind the buffered end stalls 1-3 times a second, 0.1 s plays smoothly at 190-230 ms
 * glass to glass. A live picture never waits: a gap or a stall with data beyond it is jumped over.
 */

/** Where playback aims: this far behind the end of what is buffered, in seconds. */
export const TARGET_LAG_S = 0.1;
/** Further behind than this, playback jumps to the target instead of catching up by speed. */
export const FAR_LAG_S = 0.5;
/** Speeding up by at most this much is inaudible enough and catches up 0.1 s per second. */
export const MAX_RATE = 1.1;

export interface EdgeState {
  currentTime: number;
  /** The element's buffered ranges (what every track has: the video's, as sound is stamped ahead). */
  ranges: readonly (readonly [number, number])[];
  /** Playback should move but cannot (a 'waiting' event, or readyState below HAVE_FUTURE_DATA). */
  stalled: boolean;
}

export interface EdgeAction {
  /** Jump here (always forward), or null to stay. */
  seekTo: number | null;
  playbackRate: number;
  why: 'no data' | 'start' | 'gap' | 'far' | 'stall' | 'catch up' | 'at edge';
}

export function keepAtEdge({ currentTime, ranges, stalled }: EdgeState): EdgeAction {
  const last = ranges[ranges.length - 1];
  if (!last) return { seekTo: null, playbackRate: 1, why: 'no data' };
  const [start, end] = last;
  const target = Math.max(start, end - TARGET_LAG_S);
  const lag = end - currentTime;
  const forward = (why: EdgeAction['why']): EdgeAction =>
    target > currentTime + 0.001 ? { seekTo: target, playbackRate: 1, why } : { seekTo: null, playbackRate: 1, why: 'at edge' };
  // Not yet inside the newest range: the very start (currentTime 0), or a gap left by lost frames.
  if (currentTime < start) return forward(ranges.length > 1 ? 'gap' : 'start');
  if (lag > FAR_LAG_S) return forward('far');
  // Stuck with data ahead of us (a hole the decoder will not cross, a decoder hiccup): jump.
  if (stalled && lag > TARGET_LAG_S + 0.05) return forward('stall');
  const over = lag - TARGET_LAG_S;
  if (over > 0.03) return { seekTo: null, playbackRate: Math.min(MAX_RATE, 1 + over), why: 'catch up' };
  return { seekTo: null, playbackRate: 1, why: 'at edge' };
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
