/**
 * The player's paths without a browser: which driver plays a room's sources and what the stats
 * overlay says about the ones passed over (web/src/player/choice.ts), and how the MSE driver keeps
 * to the live edge (web/src/player/liveEdge.ts) with its sound following the picture
 * (web/src/player/soundFollow.ts).
 */
import { describe, expect, it } from 'vitest';
import { choosePath } from '../../web/src/player/choice.js';
import type { SourceDriver } from '../../web/src/player/driver.js';
import { MIN_SOUND_LAG_S, SOUND_DRIFT_S, SOUND_JUMP_S, SOUND_MAX_RATE_STEP, SOUND_SETTLED_S, followPicture } from '../../web/src/player/soundFollow.js';
import { EdgeTarget, FAR_LAG_S, MAX_RATE, MAX_TARGET_LAG_S, STUCK_MS, TARGET_LAG_S, keepAtEdge, trimEnd } from '../../web/src/player/liveEdge.js';

const SOURCES = [
  { kind: 'fast', url: 'ws://h/api/rooms/r/media', mimeType: 'application/x-streambox-frames' },
  { kind: 'hls', url: 'http://h/hls/r.m3u8', mimeType: 'application/x-mpegURL' },
];

function driver(kind: string, path: string, param: string, unsupported: string | null = null): SourceDriver {
  return { kind, path, param, label: path, unsupported: () => unsupported, attach: () => { throw new Error('not in a unit test'); } };
}

function drivers(webcodecs: string | null, mse: string | null): SourceDriver[] {
  return [driver('fast', 'fast', 'fast', webcodecs), driver('fast', 'fast-mse', 'mse', mse), driver('hls', 'hls', 'hls')];
}

describe('choosing a path: WebCodecs, then MSE, then HLS', () => {
  it('a secure context with WebCodecs plays fast, with nothing to explain', () => {
    const c = choosePath(drivers(null, null), SOURCES)!;
    expect([c.driver.path, c.source.kind, c.why]).toEqual(['fast', 'fast', null]);
  });

  it('plain HTTP (no WebCodecs) plays the same fast source through MSE, and says why', () => {
    const c = choosePath(drivers('plain HTTP: no WebCodecs', null), SOURCES)!;
    expect([c.driver.path, c.source.kind, c.why]).toEqual(['fast-mse', 'fast', 'plain HTTP: no WebCodecs']);
  });

  it('a browser with neither plays HLS, with a visible reason', () => {
    const c = choosePath(drivers('this browser has no WebCodecs', 'this browser has no MSE'), SOURCES)!;
    expect(c.driver.path).toBe('hls');
    expect(c.why).toBe('this browser has neither WebCodecs nor MSE');
  });

  it('a full fast path (the whole source avoided) goes to HLS; a failed decoder only skips its driver', () => {
    const seatsFull = choosePath(drivers(null, null), SOURCES, { avoided: (d) => (d.kind === 'fast' ? 'every fast-path seat is taken' : null) })!;
    expect([seatsFull.driver.path, seatsFull.why]).toEqual(['hls', 'every fast-path seat is taken']);
    const decoderFailed = choosePath(drivers(null, null), SOURCES, { avoided: (d) => (d.path === 'fast' ? 'fast (WebCodecs) failed: cannot decode' : null) })!;
    expect([decoderFailed.driver.path, decoderFailed.why]).toEqual(['fast-mse', 'fast (WebCodecs) failed: cannot decode']);
  });

  it('?path= forces one driver by its short name or path, and nothing else', () => {
    for (const [only, path] of [['mse', 'fast-mse'], ['fast-mse', 'fast-mse'], ['fast', 'fast'], ['hls', 'hls']] as const) {
      const c = choosePath(drivers(null, null), SOURCES, { only })!;
      expect(c.driver.path).toBe(path);
      expect(c.why).toBe(`forced by ?path=${only}`);
    }
    expect(choosePath(drivers(null, null), SOURCES, { only: 'webrtc' })).toBeNull();
    expect(choosePath(drivers('plain HTTP: no WebCodecs', null), SOURCES, { only: 'fast' })).toBeNull();
  });

  it('when every playable path failed lately, it tries the first playable one again rather than nothing', () => {
    const c = choosePath(drivers(null, null), SOURCES, { avoided: () => 'failed' })!;
    expect(c.driver.path).toBe('fast');
  });
});

describe('MSE at the live edge', () => {
  const at = (currentTime: number, end: number, extra: Partial<Parameters<typeof keepAtEdge>[0]> = {}) => keepAtEdge({ currentTime, ranges: [[end - 2, end]], stalled: false, ...extra });

  it('at ~0.1 s behind the buffered end it plays at normal speed', () => {
    expect(at(10 - TARGET_LAG_S, 10)).toEqual({ seekTo: null, playbackRate: 1, why: 'at edge' });
    expect(at(10 - TARGET_LAG_S - 0.02, 10).playbackRate).toBe(1);
  });

  it('a little behind: a little faster (never beyond MAX_RATE); far behind: a jump to the target', () => {
    const a = at(10 - 0.2, 10);
    expect(a.seekTo).toBeNull();
    // Hysteresis: a small excess starts no catching up, but an ongoing one goes on to the aim.
    expect(at(10 - 0.14, 10).playbackRate).toBe(1);
    expect(at(10 - 0.14, 10, { catchingUp: true }).playbackRate).toBeGreaterThan(1);
    expect(a.playbackRate).toBeGreaterThan(1);
    expect(a.playbackRate).toBeLessThanOrEqual(MAX_RATE);
    expect(at(10 - 0.45, 10).playbackRate).toBe(MAX_RATE);
    expect(at(10 - TARGET_LAG_S - FAR_LAG_S - 0.05, 10)).toMatchObject({ seekTo: 10 - TARGET_LAG_S, why: 'far' });
    // With the aim moved back, 'far' moves with it.
    expect(keepAtEdge({ currentTime: 10 - 0.55, ranges: [[8, 10]], stalled: false, target: 0.25 }).why).toBe('catch up');
  });

  it('the first picture: from currentTime 0 straight to the edge of the joiner GOP', () => {
    expect(keepAtEdge({ currentTime: 0, ranges: [[1234.5, 1234.9]], stalled: false })).toMatchObject({ seekTo: 1234.9 - TARGET_LAG_S, why: 'start' });
    // A GOP shorter than the target: its start (the key frame).
    expect(keepAtEdge({ currentTime: 0, ranges: [[1234.5, 1234.55]], stalled: false }).seekTo).toBe(1234.5);
  });

  it('a gap (frames lost until the next key frame) or a stall with data ahead is jumped over, never waited on', () => {
    expect(keepAtEdge({ currentTime: 5.2, ranges: [[3, 5.2], [5.6, 6]], stalled: true })).toMatchObject({ seekTo: 6 - TARGET_LAG_S, why: 'gap' });
    expect(at(10 - 0.25, 10, { stalled: true, stalledForMs: STUCK_MS })).toMatchObject({ seekTo: 10 - TARGET_LAG_S, why: 'stall' });
    // A late frame that just arrived: the element resumes by itself, a jump would cost a decode.
    expect(at(10 - 0.25, 10, { stalled: true, stalledForMs: 50 })).toMatchObject({ seekTo: null, why: 'stall' });
  });

  it('a stall with nothing ahead (data late) waits for the data, and never seeks backwards', () => {
    expect(at(10 - 0.05, 10, { stalled: true })).toEqual({ seekTo: null, playbackRate: 1, why: 'starved' });
    expect(keepAtEdge({ currentTime: 1, ranges: [], stalled: true }).seekTo).toBeNull();
  });

  it('trims what is more than a few seconds behind, a second at a time', () => {
    expect(trimEnd(0, 10, 3)).toBe(7);
    expect(trimEnd(6.5, 10, 3)).toBeNull();
    expect(trimEnd(null, 10, 3)).toBeNull();
  });
});

describe('MSE: the aim behind the edge adapts to late frames', () => {
  it('speed follows the steady lag (least over a second), not the sawtooth of frame arrivals', () => {
    // The lag now is 0.16 s just after a frame arrived, but it has been 0.11 s between frames.
    const a = keepAtEdge({ currentTime: 10 - 0.16, ranges: [[8, 10]], stalled: false, steadyLag: 0.11 });
    expect(a.playbackRate).toBe(1);
    expect(keepAtEdge({ currentTime: 10 - 0.3, ranges: [[8, 10]], stalled: false, steadyLag: 0.25 }).playbackRate).toBeGreaterThan(1);
  });

  it('a stall at the edge aims further back, up to a limit; calm brings it forward a frame at a time', () => {
    const t = new EdgeTarget(0);
    expect(keepAtEdge({ currentTime: 10 - 0.05, ranges: [[8, 10]], stalled: true, target: t.target }).why).toBe('starved');
    t.starved(0);
    expect(t.target).toBeCloseTo(TARGET_LAG_S + 0.05);
    for (let i = 1; i < 10; i++) t.starved(i);
    expect(t.target).toBe(MAX_TARGET_LAG_S);
    for (let now = 10; now <= 60_000; now += 200) t.sample(0.2, now);
    expect(t.target).toBe(TARGET_LAG_S);
    expect(t.steadyLag).toBe(0.2);
  });

  it('a raised aim moves the jump target back with it', () => {
    expect(keepAtEdge({ currentTime: 0, ranges: [[100, 102]], stalled: false, target: 0.2 }).seekTo).toBeCloseTo(101.8);
  });
});

describe('MSE: the sound, in its own element, follows the picture', () => {
  const sound = (soundTime: number, end: number, pictureTime: number | null, adjusting = false) => followPicture({ soundTime, ranges: [[end - 2, end]], pictureTime, adjusting });

  it('plays at the picture’s media time when its own buffer allows', () => {
    expect(sound(9.8, 10, 9.8)).toEqual({ seekTo: null, playbackRate: 1, why: 'with picture' });
    // A little off (within SOUND_DRIFT_S) is left alone: speed changes are not free.
    expect(sound(9.8 + SOUND_DRIFT_S / 2, 10, 9.8).playbackRate).toBe(1);
  });

  it('never aims closer to its own end than MIN_SOUND_LAG_S, even when the picture is further on', () => {
    // The picture is at 9.98, the sound has data to 10: aim 9.9, where the sound is.
    expect(sound(10 - MIN_SOUND_LAG_S, 10, 9.98).why).toBe('with picture');
    expect(sound(9.5, 10, 9.98)).toMatchObject({ seekTo: 10 - MIN_SOUND_LAG_S, why: 'jump' });
  });

  it('catches up or falls back by speed when a bit off, by at most SOUND_MAX_RATE_STEP, until settled', () => {
    const behind = sound(9.7, 10, 9.8);
    expect(behind.why).toBe('faster');
    expect(behind.playbackRate).toBeCloseTo(1 + SOUND_MAX_RATE_STEP);
    expect(sound(9.9, 10.5, 9.8)).toMatchObject({ seekTo: null, why: 'slower' });
    expect(sound(9.9, 10.5, 9.8).playbackRate).toBeCloseTo(1 - SOUND_MAX_RATE_STEP);
    // Hysteresis: once adjusting, it goes on until within SOUND_SETTLED_S.
    expect(sound(9.8 - 0.02, 10, 9.8, true).why).toBe('faster');
    expect(sound(9.8 - 0.02, 10, 9.8, false).why).toBe('with picture');
    expect(sound(9.8 - SOUND_SETTLED_S / 2, 10, 9.8, true).why).toBe('with picture');
  });

  it('jumps when far off, out of its newest range, or before the picture starts (to its own edge)', () => {
    expect(sound(9.8 - SOUND_JUMP_S - 0.01, 10, 9.8)).toMatchObject({ seekTo: 9.8, why: 'jump' });
    expect(followPicture({ soundTime: 0, ranges: [[100, 101]], pictureTime: 100.5 })).toMatchObject({ seekTo: 100.5, why: 'jump' });
    expect(followPicture({ soundTime: 0, ranges: [[100, 101]], pictureTime: null })).toMatchObject({ seekTo: 101 - MIN_SOUND_LAG_S, why: 'jump' });
    expect(followPicture({ soundTime: 5, ranges: [], pictureTime: 5 })).toEqual({ seekTo: null, playbackRate: 1, why: 'no data' });
  });
});

describe('MSE: sound short of data', () => {
  it('waits at speed 1 instead of speeding up into the same shortage, but still jumps a gap', () => {
    expect(followPicture({ soundTime: 9.5, ranges: [[8, 10]], pictureTime: 9.7, stalled: true })).toEqual({ seekTo: null, playbackRate: 1, why: 'waiting' });
    expect(followPicture({ soundTime: 7, ranges: [[8, 10]], pictureTime: 9.7, stalled: true }).why).toBe('jump');
  });
});
