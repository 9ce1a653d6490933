/**
 * The MSE path's sound: an <audio> element with a MediaSource of its own (why: soundFollow.ts),
 * fed the sound fragments mse.ts writes and kept with the picture at every tick of mse.ts.
 * The element belongs to the driver's session (the Player mutes, sets the level and plays it with
 * the picture); one MseSound per MediaSource, so an encoder restart brings a new one on the same
 * element.
 */
import { bufferedTrack, type BufferedTrack } from './mseBuffer.js';
import { followPicture } from './soundFollow.js';
import { trimEnd } from './liveEdge.js';
import { createMediaElement } from './shell.js';

/** Fragments kept while the MediaSource opens (~5 s of AAC frames). */
const MAX_PENDING = 240;

/** An <audio> element for the sound, hidden (the page shows only the picture). */
export function createSoundElement(muted: boolean): HTMLAudioElement {
  const audio = createMediaElement('audio', 'media-sound', muted);
  audio.hidden = true;
  return audio;
}

export class MseSound {
  private readonly source: MediaSource;
  private readonly url: string;
  private buffer: (BufferedTrack & { dispose(): void }) | null = null;
  private pending: Uint8Array[];
  private adjusting = false;
  private disposed = false;

  constructor(
    private readonly element: HTMLAudioElement,
    MS: typeof MediaSource,
    type: string,
    init: Uint8Array,
    onError: (message: string) => void,
  ) {
    this.pending = [init];
    this.source = new MS();
    this.url = URL.createObjectURL(this.source);
    this.source.addEventListener('sourceopen', () => {
      if (this.disposed) return;
      try {
        const sb = this.source.addSourceBuffer(type);
        sb.mode = 'segments';
        this.buffer = bufferedTrack(sb, { onQuota: () => this.trim(0.5), onError: (message) => onError(`sound buffer: ${message}`), onAppended: () => undefined });
        for (const bytes of this.pending.splice(0)) this.buffer.append(bytes);
      } catch (err) {
        onError(`cannot set up the sound buffer: ${(err as Error).message}`);
      }
    }, { once: true });
    const wasPlaying = !element.paused;
    element.src = this.url;
    if (wasPlaying) void element.play().catch(() => undefined); // a new source pauses it; the Player played it before
  }

  append(bytes: Uint8Array): void {
    if (this.buffer) this.buffer.append(bytes);
    else if (this.pending.length < MAX_PENDING) this.pending.push(bytes);
  }

  /** Every tick of the picture's edge keeper: `pictureTime` is its currentTime, null before it plays. */
  follow(pictureTime: number | null): void {
    const el = this.element;
    const ranges: [number, number][] = [];
    for (let i = 0; i < el.buffered.length; i++) ranges.push([el.buffered.start(i), el.buffered.end(i)]);
    const stalled = !el.paused && !el.seeking && el.readyState < HTMLMediaElement.HAVE_FUTURE_DATA;
    const action = followPicture({ soundTime: el.currentTime, ranges, pictureTime, adjusting: this.adjusting, stalled });
    this.adjusting = action.why === 'faster' || action.why === 'slower';
    if (action.seekTo !== null && !el.seeking) el.currentTime = action.seekTo;
    if (el.playbackRate !== action.playbackRate) el.playbackRate = action.playbackRate;
  }

  /** Removes what is more than `keepS` behind playback (mse.ts trims both tracks at every tick). */
  trim(keepS: number): void {
    const until = trimEnd(this.buffer?.bufferedStart() ?? null, this.element.currentTime, keepS);
    if (this.buffer && until !== null) this.buffer.remove(0, until);
  }

  dispose(): void {
    this.disposed = true;
    this.buffer?.dispose();
    this.element.removeAttribute('src');
    this.element.load();
    URL.revokeObjectURL(this.url);
  }
}
