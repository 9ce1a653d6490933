/**
 * One room's fast-path relay: takes the encoder's frames once and fans them out to its viewers.
 *
 * - A viewer that joins gets the decoder setup and every frame since the last video key frame,
 *   so its first picture comes at once rather than at the next key frame.
 * - A viewer whose socket backs up (slow link, stalled tab) stops receiving until its backlog
 *   has drained and the next key frame comes: it jumps to live instead of falling behind, and
 *   nobody else waits for it. The relay never queues per viewer; the socket's own buffer is the
 *   only backlog, and it is bounded by HIGH_WATER_BYTES plus one frame.
 */
import { EncoderPace, type EncoderPaceReading } from './encoderPace.js';
import type { AudioTrackInfo, Sample, TrackInfo, VideoTrackInfo } from './tracks.js';
import { TRACK_AUDIO, TRACK_VIDEO, frameMessage, initMessage } from './wire.js';

export interface ViewerSink {
  send(data: string | Buffer): void;
  /** Bytes accepted by send() that have not reached the network yet. */
  bufferedAmount(): number;
}

/** Above this backlog a viewer is cut off until the next key frame (about 1 s at 4 Mbit/s). */
export const HIGH_WATER_BYTES = 512 * 1024;
/** A cut-off viewer resumes (at a key frame) once its backlog is below this. */
export const LOW_WATER_BYTES = 64 * 1024;
/** The join cache holds one GOP; past this the encoder's GOP is broken and we stop caching. */
const MAX_GOP_BYTES = 8 * 1024 * 1024;

interface Viewer {
  sink: ViewerSink;
  /** False while cut off: waiting for a drained socket and a key frame. */
  live: boolean;
  resyncs: number;
}

export interface RelayStats {
  viewers: number;
  framesIn: number;
  bytesIn: number;
  /** Times any viewer was cut off and jumped to live. */
  resyncs: number;
  hasInit: boolean;
  /** How the encoder keeps up (encoderPace.ts); null for its first seconds. */
  encoder: EncoderPaceReading | null;
  /** Bytes handed to viewers' sockets (frames; not the decoder setup re-sent on a track change). */
  bytesOut: number;
}

export class RoomRelay {
  private readonly viewers = new Set<Viewer>();
  private init: string | null = null;
  private video: VideoTrackInfo | null = null;
  private audio: AudioTrackInfo | null = null;
  /** Frames since (and including) the last video key frame, ready to send. */
  private gop: Buffer[] = [];
  private gopBytes = 0;
  private framesIn = 0;
  private bytesIn = 0;
  private resyncs = 0;
  private bytesOut = 0;

  private readonly pace: EncoderPace;

  constructor(private readonly now: () => number = Date.now) {
    this.pace = new EncoderPace(now);
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** The encoder (re)started a track: new decoder setup; everyone waits for the next key frame. */
  setTrack(track: TrackInfo): void {
    const current = track.kind === 'video' ? this.video : this.audio;
    if (current && current.codec === track.codec && current.description.equals(track.description)) return; // same setup again
    if (track.kind === 'video') {
      this.video = track;
      this.pace.reset();
    } else this.audio = track;
    this.init = this.video ? initMessage(this.video, this.audio) : null;
    this.gop = [];
    this.gopBytes = 0;
    for (const v of this.viewers) {
      v.live = false;
      if (this.init) v.sink.send(this.init);
    }
  }

  publish(sample: Sample): void {
    const track = sample.kind === 'video' ? this.video : this.audio;
    if (!track) return;
    const isVideo = track.kind === 'video';
    const key = isVideo && sample.key;
    const timeUs = (sample.time * 1e6) / track.timescale;
    const msg = frameMessage(isVideo ? TRACK_VIDEO : TRACK_AUDIO, key, timeUs, this.now(), sample.data);
    this.framesIn++;
    this.bytesIn += sample.data.length;
    if (isVideo) this.pace.frame(timeUs / 1000);

    if (key) {
      this.gop = [msg];
      this.gopBytes = msg.length;
    } else if (this.gop.length > 0 && this.gopBytes + msg.length <= MAX_GOP_BYTES) {
      this.gop.push(msg);
      this.gopBytes += msg.length;
    } else {
      this.gop = [];
      this.gopBytes = 0;
    }

    for (const v of this.viewers) {
      if (!v.live) {
        if (!key || v.sink.bufferedAmount() > LOW_WATER_BYTES) continue;
        v.live = true;
      } else if (v.sink.bufferedAmount() > HIGH_WATER_BYTES) {
        v.live = false;
        v.resyncs++;
        this.resyncs++;
        continue;
      }
      v.sink.send(msg);
      this.bytesOut += msg.length;
    }
  }

  /** Adds a viewer; returns the function that removes it. */
  join(sink: ViewerSink): () => void {
    const viewer: Viewer = { sink, live: true, resyncs: 0 };
    this.viewers.add(viewer);
    if (this.init) {
      sink.send(this.init);
      for (const msg of this.gop) sink.send(msg);
      this.bytesOut += this.init.length + this.gopBytes;
      if (this.gop.length === 0) viewer.live = false; // wait for a key frame
    } else {
      viewer.live = false;
    }
    return () => this.viewers.delete(viewer);
  }

  stats(): RelayStats {
    return { viewers: this.viewers.size, framesIn: this.framesIn, bytesIn: this.bytesIn, resyncs: this.resyncs, hasInit: this.init !== null, encoder: this.pace.read(), bytesOut: this.bytesOut };
  }
}
