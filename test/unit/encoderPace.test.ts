import { describe, expect, it } from 'vitest';
import { EncoderPace, isBehind } from '../../server/media/encoderPace.js';

/** Feeds pictures at `fps` for `seconds`, media time advancing at `speed` x real time. */
function feed(pace: EncoderPace, clock: { t: number }, fps: number, seconds: number, speed = 1, media = { t: 0 }) {
  for (let i = 0; i < fps * seconds; i++) {
    clock.t += 1000 / fps;
    media.t += (1000 / fps) * speed;
    pace.frame(media.t);
  }
}

describe('the encoder pace', () => {
  it('says nothing during its first window', () => {
    const clock = { t: 0 };
    const pace = new EncoderPace(() => clock.t);
    feed(pace, clock, 30, 4);
    expect(pace.read()).toBeNull();
  });

  it('reads a real-time encoder as its frame rate at speed 1, not behind', () => {
    const clock = { t: 0 };
    const pace = new EncoderPace(() => clock.t);
    feed(pace, clock, 30, 8);
    const r = pace.read()!;
    expect(r.fps).toBeCloseTo(30, 0);
    expect(r.speed).toBeCloseTo(1, 1);
    expect(isBehind(r, 30)).toBe(false);
  });

  it('reads a starved encoder (17 pictures a second) as behind a 30 fps room', () => {
    const clock = { t: 0 };
    const pace = new EncoderPace(() => clock.t);
    feed(pace, clock, 30, 5);
    feed(pace, clock, 17, 6);
    const r = pace.read()!;
    expect(r.fps).toBeCloseTo(17, 0);
    expect(isBehind(r, 30)).toBe(true);
    expect(isBehind(r, 15)).toBe(false);
  });

  it('reads pictures that arrive late as a dip in arrivals, not in the stream: media time still has them all', () => {
    const clock = { t: 0 };
    const pace = new EncoderPace(() => clock.t);
    feed(pace, clock, 30, 6);
    // The next pictures are late: 200 ms with none arriving (they come together afterwards).
    clock.t += 200;
    const r = pace.read()!;
    expect(r.fps).toBeLessThan(29.5);
    expect(r.mediaFps).toBeCloseTo(30, 0);
    expect(r.maxGapMs).toBe(33);
  });

  it('reads a grab held up for 300 ms (then catching up at once) as a 300 ms step in media time', () => {
    const clock = { t: 0 };
    const pace = new EncoderPace(() => clock.t);
    let media = 0;
    for (let i = 0; i < 300; i++) {
      clock.t += 1000 / 30;
      media += i === 200 ? 300 : i > 200 && i <= 209 ? 0.5 : 1000 / 30; // 9 missed pictures taken at once
      pace.frame(media);
    }
    expect(pace.read()!.maxGapMs).toBe(300);
  });

  it('reads pictures the grab skipped as a lower media-time frame rate', () => {
    const clock = { t: 0 };
    const pace = new EncoderPace(() => clock.t);
    let media = 0;
    for (let i = 0; i < 300; i++) {
      clock.t += 1000 / 30;
      media += 1000 / 30;
      if (i % 10 !== 0) pace.frame(media); // one in ten never taken: 27 a second
    }
    expect(pace.read()!.mediaFps).toBeCloseTo(27, 0);
  });

  it('reads frames queueing in the encoder as speed under 1', () => {
    const clock = { t: 0 };
    const pace = new EncoderPace(() => clock.t);
    feed(pace, clock, 30, 8, 0.8);
    expect(pace.read()!.speed).toBeCloseTo(0.8, 1);
  });

  it('reads an encoder that went quiet as 0 fps', () => {
    const clock = { t: 0 };
    const pace = new EncoderPace(() => clock.t);
    feed(pace, clock, 30, 8);
    clock.t += 6000;
    expect(pace.read()).toEqual({ fps: 0, mediaFps: 0, maxGapMs: 0, speed: 0 });
  });

  it('starts over when the encoder restarts', () => {
    const clock = { t: 0 };
    const pace = new EncoderPace(() => clock.t);
    feed(pace, clock, 30, 8);
    pace.reset();
    feed(pace, clock, 30, 2);
    expect(pace.read()).toBeNull();
  });
});
