/**
 * The fast path on Media Source Extensions, for browsers without WebCodecs: a page on plain HTTP
 * (WebCodecs exists only in secure contexts), older Safari, Firefox without it. The same WebSocket
 * and wire format as fast.ts (fastLink.ts); each frame is remuxed in the page into its own
 * fragmented-MP4 fragment (fmp4.ts) and appended at once, so nothing waits for a GOP.
 *
 * The picture in the <video>, the sound in an <audio> element with a MediaSource of its own that
 * follows the picture (mseSound.ts; why apart: soundFollow.ts). One SourceBuffer per track
 * (mseBuffer.ts), `ManagedMediaSource` where it exists (iPhone Safari 17.1+: it needs
 * disableRemotePlayback, set by shell.ts and mseSound.ts). MSE buffers by nature, so this driver
 * keeps playback ~0.1 s behind the buffered end (liveEdge.ts; up to 0.25 s where frames arrive
 * late enough to stall it there): a little faster when a bit behind, a jump when far behind, after
 * a stall or over a gap; what is behind playback is trimmed.
 * ~0.2 s glass to glass, against ~0.1 s for WebCodecs and 1.3-2.4 s for HLS (docs/live-view.md).
 *
 * The delay figure is fast.ts's: the relay's receive time of the frame on screen (looked up by
 * requestVideoFrameCallback's mediaTime) against the server's clock now.
 */
import type { AttachOptions, PlaybackSession, SourceDriver } from './driver.js';
import type { PlaybackSource } from '../shared/types.js';
import { createShell } from './shell.js';
import { FastLink, type InitMessage } from './fastLink.js';
import { TRACK_AUDIO, TRACK_VIDEO, base64Bytes, type WireFrame } from './fastWire.js';
import { TrackClock, fragment, initSegment } from './fmp4.js';
import { bufferedTrack, type BufferedTrack } from './mseBuffer.js';
import { EdgeTarget, keepAtEdge, trimEnd } from './liveEdge.js';
import { MseSound, createSoundElement } from './mseSound.js';
import { ReceiveTimes } from './receiveTimes.js';

const VIDEO_TIMESCALE = 90_000;
const AUDIO_FRAME_SAMPLES = 1024;
/** Seconds kept behind playback (a seek back a little needs its key frame still buffered). */
const KEEP_BEHIND_S = 3;
const EDGE_EVERY_MS = 200;

type MediaSourceCtor = typeof MediaSource;

function mediaSourceCtor(): MediaSourceCtor | null {
  const w = window as unknown as { ManagedMediaSource?: MediaSourceCtor; MediaSource?: MediaSourceCtor };
  return w.ManagedMediaSource ?? w.MediaSource ?? null;
}

const mime = (kind: 'video' | 'audio', codec: string) => `${kind}/mp4; codecs="${codec}"`;

export const mseDriver: SourceDriver = {
  kind: 'fast',
  path: 'fast-mse',
  param: 'mse',
  label: 'fast (MSE)',

  unsupported() {
    if (typeof WebSocket === 'undefined') return 'no WebSocket';
    const MS = mediaSourceCtor();
    if (!MS) return 'this browser has no MSE';
    return MS.isTypeSupported(mime('video', 'avc1.42E01F')) ? null : "this browser's MSE plays no H.264";
  },

  attach(host: HTMLElement, source: PlaybackSource, opts: AttachOptions): PlaybackSession {
    const shell = createShell(host, opts.muted);
    const sound = createSoundElement(opts.muted);
    host.appendChild(sound);
    const session = new MseSession(shell.video, sound, source.url, opts);
    return {
      kind: 'fast',
      video: shell.video,
      sound,
      delayMs: () => session.link.delayMs(),
      destroy: () => {
        session.link.close();
        shell.dispose();
        sound.remove();
      },
    };
  },
};

interface Track {
  id: number;
  clock: TrackClock;
  sequence: number;
}

/** The picture's track, in the <video>'s MediaSource. */
interface PictureTrack extends Track {
  /** Set once the MediaSource is open; until then fragments wait in `pending`. */
  buffer: (BufferedTrack & { dispose(): void }) | null;
  pending: Uint8Array[];
}

/** One MediaSource, for one `init` (an encoder restart brings a new init: a new MediaSource). */
interface Pipeline {
  source: MediaSource;
  url: string;
  video: PictureTrack;
  audio: Track | null;
  /** Plays `audio` (null: no sound, or this browser's MSE cannot play it). */
  sound: MseSound | null;
  waitingForKey: boolean;
}

class MseSession {
  readonly link: FastLink;
  private pipe: Pipeline | null = null;
  private readonly timer: number;
  private frameCallback: number | null = null;
  private readonly received = new ReceiveTimes();
  private stalled = false;
  /** This stall was counted as starved (EdgeTarget moves the aim back once per stall). */
  private starvedCounted = false;
  private lastTime = -1;
  private lastJumpAt = 0;
  /** When the current stall began (performance.now()), or null. */
  private stalledAt: number | null = null;
  private catchingUp = false;
  private readonly edge = new EdgeTarget(performance.now());

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly soundElement: HTMLAudioElement,
    url: string,
    opts: AttachOptions,
  ) {
    this.link = new FastLink(url, 'fast path (MSE)', opts, {
      onInit: (msg) => this.onInit(msg),
      onFrame: (frame) => this.onFrame(frame),
      onClosed: () => this.teardown(),
    });
    this.timer = window.setInterval(() => this.tick(), EDGE_EVERY_MS);
    video.addEventListener('waiting', this.onWaiting);
    video.addEventListener('playing', this.onPlaying);
    video.addEventListener('error', this.onMediaError);
    this.watchFrames();
  }

  private readonly onWaiting = () => {
    this.stalled = true;
    this.stalledAt ??= performance.now();
    this.tick(); // jump now, not at the next tick
  };

  private readonly onPlaying = () => {
    this.stalled = false;
    this.stalledAt = null;
    this.starvedCounted = false;
  };

  private readonly onMediaError = () => {
    if (this.pipe) this.link.fail(`media error: ${this.video.error?.message || this.video.error?.code || '?'}`);
  };

  private onInit(msg: InitMessage): void {
    this.detach();
    const MS = mediaSourceCtor();
    if (!MS) return this.link.fail('no MSE');
    if (!MS.isTypeSupported(mime('video', msg.video.codec))) return this.link.fail(`this browser's MSE cannot play ${msg.video.codec}`);
    const videoInit = initSegment({ kind: 'video', id: 1, timescale: VIDEO_TIMESCALE, width: msg.video.codedWidth, height: msg.video.codedHeight, avcC: base64Bytes(msg.video.description) });
    const video: PictureTrack = { id: 1, clock: new TrackClock(VIDEO_TIMESCALE, VIDEO_TIMESCALE / 30), sequence: 0, buffer: null, pending: [videoInit] };
    // Without sound support the picture still plays: better than falling back to seconds of delay.
    const a = msg.audio && MS.isTypeSupported(mime('audio', msg.audio.codec)) ? msg.audio : null;
    const audio: Track | null = a && { id: 2, clock: new TrackClock(a.sampleRate, AUDIO_FRAME_SAMPLES, true), sequence: 0 };
    const sound = a && new MseSound(this.soundElement, MS, mime('audio', a.codec), initSegment({ kind: 'audio', id: 2, timescale: a.sampleRate, channels: a.numberOfChannels, asc: base64Bytes(a.description) }), (message) => this.link.fail(message));
    const source = new MS();
    const pipe: Pipeline = { source, url: URL.createObjectURL(source), video, audio, sound, waitingForKey: true };
    this.pipe = pipe;
    source.addEventListener('sourceopen', () => {
      if (this.pipe !== pipe) return;
      try {
        this.open(pipe, video, mime('video', msg.video.codec));
      } catch (err) {
        this.link.fail(`cannot set up the buffers: ${(err as Error).message}`);
      }
    }, { once: true });
    this.video.src = pipe.url;
  }

  private open(pipe: Pipeline, track: PictureTrack, type: string): void {
    const sb = pipe.source.addSourceBuffer(type);
    sb.mode = 'segments';
    track.buffer = bufferedTrack(sb, {
      onQuota: () => this.trim(0.5),
      onError: (message) => this.link.fail(`video buffer: ${message}`),
      onAppended: () => {
        if (this.video.currentTime === 0) this.tick(); // the first picture: go to the edge at once
      },
    });
    for (const bytes of track.pending.splice(0)) track.buffer.append(bytes);
  }

  private onFrame(frame: WireFrame): void {
    const pipe = this.pipe;
    if (!pipe) return;
    if (frame.track === TRACK_VIDEO) {
      if (!frame.key && pipe.waitingForKey) return; // joined mid-GOP, or lost frames: from the next key frame
      pipe.waitingForKey = false;
      const { bytes, decodeTime } = this.fragmentOf(pipe.video, frame);
      if (pipe.video.buffer) pipe.video.buffer.append(bytes);
      else if (pipe.video.pending.length < 240) pipe.video.pending.push(bytes);
      this.received.add(decodeTime / VIDEO_TIMESCALE, frame.receivedAtMs);
    } else if (frame.track === TRACK_AUDIO && pipe.audio && pipe.sound && !pipe.waitingForKey) {
      pipe.sound.append(this.fragmentOf(pipe.audio, frame).bytes);
    }
  }

  private fragmentOf(track: Track, frame: WireFrame): { bytes: Uint8Array; decodeTime: number } {
    const { decodeTime, duration } = track.clock.next(frame.timestampUs);
    const bytes = fragment(track.id, ++track.sequence, { decodeTime, duration, sync: frame.key || track.id !== 1, data: frame.data });
    return { bytes, decodeTime };
  }

  /** Every EDGE_EVERY_MS (and at once on 'waiting'): stay at the live edge, trim what is behind. */
  private tick(): void {
    const v = this.video;
    if (!this.pipe || this.link.isClosed) return;
    const ranges: [number, number][] = [];
    for (let i = 0; i < v.buffered.length; i++) ranges.push([v.buffered.start(i), v.buffered.end(i)]);
    const stalled = this.stalled || (!v.paused && !v.seeking && v.readyState < HTMLMediaElement.HAVE_FUTURE_DATA);
    // A paused element (autoplay refused) is only placed once; the Player resumes it.
    if (v.paused && v.currentTime > 0) return;
    this.pipe.sound?.follow(v.currentTime > 0 ? v.currentTime : null);
    const now = performance.now();
    if (stalled) this.stalledAt ??= now;
    else this.stalledAt = null;
    const end = ranges[ranges.length - 1]?.[1];
    if (end !== undefined && !stalled && !v.paused) this.edge.sample(end - v.currentTime, now);
    const action = keepAtEdge({ currentTime: v.currentTime, ranges, stalled, target: this.edge.target, steadyLag: this.edge.steadyLag, stalledForMs: this.stalledAt === null ? 0 : now - this.stalledAt, catchingUp: this.catchingUp });
    this.catchingUp = action.why === 'catch up';
    // A stall right after a jump is the jump's own decoding from its key frame, not lateness.
    if (action.why === 'starved' && !this.starvedCounted && this.link.shownAny && !v.seeking && now - this.lastJumpAt > 1000) {
      this.starvedCounted = true;
      this.edge.starved(now);
    }
    if (action.seekTo !== null && !v.seeking) {
      v.currentTime = action.seekTo;
      this.stalled = false;
      this.stalledAt = null;
      this.edge.jumped();
      this.lastJumpAt = now;
    }
    if (v.playbackRate !== action.playbackRate) v.playbackRate = action.playbackRate;
    if (this.frameCallback === null && v.currentTime !== this.lastTime && !v.paused) {
      // No per-frame callback (older Firefox): the clock moving is the picture moving.
      this.lastTime = v.currentTime;
      this.link.pictureShown(this.received.take(v.currentTime, 0.05));
    }
    this.trim(KEEP_BEHIND_S);
  }

  private trim(keepS: number): void {
    const pipe = this.pipe;
    if (!pipe) return;
    const until = trimEnd(pipe.video.buffer?.bufferedStart() ?? null, this.video.currentTime, keepS);
    if (pipe.video.buffer && until !== null) pipe.video.buffer.remove(0, until);
    pipe.sound?.trim(keepS);
  }

  private watchFrames(): void {
    const v = this.video as HTMLVideoElement & { requestVideoFrameCallback?: HTMLVideoElement['requestVideoFrameCallback'] };
    if (typeof v.requestVideoFrameCallback !== 'function') return;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
      if (this.link.isClosed) return;
      this.link.pictureShown(this.received.take(meta.mediaTime, 0.002));
      this.frameCallback = v.requestVideoFrameCallback(onFrame);
    };
    this.frameCallback = v.requestVideoFrameCallback(onFrame);
  }

  private detach(): void {
    const pipe = this.pipe;
    if (!pipe) return;
    this.pipe = null;
    pipe.video.buffer?.dispose();
    pipe.sound?.dispose();
    this.received.clear();
    this.video.removeAttribute('src');
    this.video.load();
    URL.revokeObjectURL(pipe.url);
  }

  private teardown(): void {
    window.clearInterval(this.timer);
    if (this.frameCallback !== null) this.video.cancelVideoFrameCallback?.(this.frameCallback);
    this.video.removeEventListener('waiting', this.onWaiting);
    this.video.removeEventListener('playing', this.onPlaying);
    this.video.removeEventListener('error', this.onMediaError);
    this.detach();
  }
}
