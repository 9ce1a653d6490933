/**
 * How a room's encoder keeps up, read from the pictures arriving at the relay: frames per second
 * over the last few seconds (by arrival, and by the pictures' own media time), and speed (media
 * time encoded per second of wall time). An encoder
 * that falls behind on a busy host delivers fewer pictures than the room's frame rate (x11grab
 * stamps frames with the wall clock, so speed stays near 1 while frames are dropped, and drifts
 * below 1 while frames queue up in ffmpeg). The room's status shows it (rooms view `encoder`).
 */

const WINDOW_MS = 5000;
/** Under this share of the room's frame rate, the encoder counts as behind. */
const BEHIND_SHARE = 0.9;

export interface EncoderPaceReading {
  /** Pictures per second that arrived over the window. */
  fps: number;
  /**
   * Pictures per second of media time among them: the rate the grab took pictures at. A picture
   * that arrives a little late moves from one arrival window to the next (fps dips, then rises),
   * but not in media time. x11grab stamps each picture with the wall clock when it takes it and,
   * when late, takes the missed ones at once: so this stays at the room's rate even on a busy host,
   * and what a late grab costs shows in `maxGapMs`.
   */
  mediaFps: number;
  /**
   * The longest media-time step between two pictures in the window (ms): 33 at 30 fps when every
   * picture was taken on time; more when the grab was held up (the picture froze that long, then
   * pictures came in a burst).
   */
  maxGapMs: number;
  /** Media time advanced per wall-clock second over the window (1 = real time). */
  speed: number;
}

export class EncoderPace {
  /** Arrival (wall ms) and media time (ms) of each picture in the window, oldest first. */
  private readonly frames: Array<{ at: number; media: number }> = [];
  /** When the first picture arrived: no reading before a whole window has passed. */
  private startedAt: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  frame(mediaTimeMs: number): void {
    const at = this.now();
    this.startedAt ??= at;
    this.frames.push({ at, media: mediaTimeMs });
    this.drop(at);
  }

  /** The encoder restarted: its pace starts over. */
  reset(): void {
    this.frames.length = 0;
    this.startedAt = null;
  }

  /** The pace over the last window (an encoder that went quiet reads 0 fps); null for the first window. */
  read(): EncoderPaceReading | null {
    const now = this.now();
    if (this.startedAt === null || now - this.startedAt < WINDOW_MS) return null;
    this.drop(now);
    const first = this.frames[0];
    const last = this.frames[this.frames.length - 1];
    const speed = first && last && last.at > first.at ? (last.media - first.media) / (last.at - first.at) : 0;
    const mediaSpan = first && last ? last.media - first.media : 0;
    const mediaFps = mediaSpan > 0 ? ((this.frames.length - 1) * 1000) / mediaSpan : 0;
    let maxGapMs = 0;
    for (let i = 1; i < this.frames.length; i++) maxGapMs = Math.max(maxGapMs, this.frames[i]!.media - this.frames[i - 1]!.media);
    return { fps: round(this.frames.length / (WINDOW_MS / 1000), 1), mediaFps: round(mediaFps, 1), maxGapMs: Math.round(maxGapMs), speed: round(speed, 2) };
  }

  private drop(now: number): void {
    while (this.frames.length > 0 && this.frames[0]!.at <= now - WINDOW_MS) this.frames.shift();
  }
}

/** Is this pace short of the room's frame rate? */
export const isBehind = (pace: EncoderPaceReading, targetFps: number) => pace.fps < targetFps * BEHIND_SHARE;

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
