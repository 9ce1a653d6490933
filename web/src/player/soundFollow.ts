/**
 * Keeping the MSE path's sound with its picture (mseSound.ts): a pure policy, unit-tested in
 * test/unit/playerPaths.test.ts.
 *
 * The sound plays in an element of its own, because in one MediaSource with the picture it set
 * the pace for both: an element plays only while every track has data, so every sound frame that
 * came late stalled the picture too, and each stall moved the edge keeper's aim (liveEdge.ts) back,
 * to its limit. Measured on this project's 2-core machine, 1080p30, relay
 * receive to picture on screen: one MediaSource p50 250 / p95 431 ms with 3 gaps over 500 ms a
 * minute; the picture alone 87-93 / 98-109 ms with no gap over 75 ms.
 *
 * So the picture keeps itself at its own edge, and the sound follows the picture: it aims at the
 * picture's media time (both tracks carry the encoder's timestamps, so equal times are the same
 * instant, as they were in one element), but never closer to its own buffered end than
 * MIN_SOUND_LAG_S, where it would run dry. When it cannot keep up it plays a little after its
 * picture, which viewers notice far less than sound before it (ITU-R BT.1359).
 */

/**
 * The sound's own buffer is never run closer to its end than this (s): closer, it stutters.
 * Measured (40 s each, one run, 1080p30 dev-server room with a tone): 0.1 s left the element short of
 * data in 5 % of samples, 0.15 s in 2 %, 0.2 s no better than 0.15 s and later.
 */
export const MIN_SOUND_LAG_S = 0.15;
/** Further from the aim than this (s), jump; closer, change speed. */
export const SOUND_JUMP_S = 0.25;
/** Off by more than this (s), change speed; back within SOUND_SETTLED_S, play at 1 again. */
export const SOUND_DRIFT_S = 0.04;
export const SOUND_SETTLED_S = 0.01;
/** At most this far from 1 (pitch is kept by the browser; 5 % is inaudible in speech and music). */
export const SOUND_MAX_RATE_STEP = 0.05;

export interface SoundState {
  /** The sound element's currentTime. */
  soundTime: number;
  /** Its buffered ranges. */
  ranges: readonly (readonly [number, number])[];
  /** The picture's currentTime, or null while the picture has not started. */
  pictureTime: number | null;
  /** The last action changed the speed (hysteresis: it goes on until nearly at the aim). */
  adjusting?: boolean;
  /** The element is short of data (readyState below HAVE_FUTURE_DATA while playing). */
  stalled?: boolean;
}

export interface SoundAction {
  seekTo: number | null;
  playbackRate: number;
  why: 'no data' | 'jump' | 'faster' | 'slower' | 'with picture' | 'waiting';
}

export function followPicture({ soundTime, ranges, pictureTime, adjusting = false, stalled = false }: SoundState): SoundAction {
  const last = ranges[ranges.length - 1];
  if (!last) return { seekTo: null, playbackRate: 1, why: 'no data' };
  const [start, end] = last;
  const latest = end - MIN_SOUND_LAG_S;
  const aim = Math.max(start, pictureTime === null ? latest : Math.min(pictureTime, latest));
  const off = soundTime - aim;
  if (soundTime < start || Math.abs(off) > SOUND_JUMP_S) return { seekTo: aim, playbackRate: 1, why: 'jump' };
  // Short of data: speeding up would only run it dry again as soon as it resumes.
  if (stalled) return { seekTo: null, playbackRate: 1, why: 'waiting' };
  if (Math.abs(off) > (adjusting ? SOUND_SETTLED_S : SOUND_DRIFT_S)) {
    const step = Math.min(SOUND_MAX_RATE_STEP, Math.max(0.02, Math.abs(off)));
    return off < 0 ? { seekTo: null, playbackRate: 1 + step, why: 'faster' } : { seekTo: null, playbackRate: 1 - step, why: 'slower' };
  }
  return { seekTo: null, playbackRate: 1, why: 'with picture' };
}
