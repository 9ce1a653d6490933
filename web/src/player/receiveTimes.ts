/**
 * When the relay received each picture the MSE path buffered, by its presentation time: the
 * delay figure (fastLink.ts) is the receive time of the picture on screen against the server's
 * clock now, and an MSE element reports only the media time of what it shows.
 */

/** Receive times kept (~10 s of video). */
const MAX_KEPT = 300;

export class ReceiveTimes {
  private kept: { t: number; at: number }[] = [];

  /** A picture of presentation time `t` (s) the relay received at `at` (ms, server clock). */
  add(t: number, at: number): void {
    this.kept.push({ t, at });
    if (this.kept.length > MAX_KEPT) this.kept.shift();
  }

  /** The receive time of the picture presented at `mediaTime` (s); forgets it and the ones before. */
  take(mediaTime: number, tolerance: number): number | undefined {
    const i = this.kept.findIndex((r) => Math.abs(r.t - mediaTime) <= tolerance);
    if (i < 0) return undefined;
    const at = this.kept[i]!.at;
    this.kept = this.kept.slice(i + 1);
    return at;
  }

  clear(): void {
    this.kept = [];
  }
}
