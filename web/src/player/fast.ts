/**
 * The fast path: encoded frames over the admin service's WebSocket (/api/rooms/ID/media),
 * decoded with WebCodecs and shown the moment they are decoded (~0.1 s glass to glass, against
 * ~1-1.5 s for HLS). It goes through the same HTTP(S) port as the page, so whatever lets the page
 * through (a reverse proxy, a firewall that allows HTTPS) lets the picture through: there is no
 * NAT traversal to fail, as WebRTC's UDP can.
 *
 * Never behind: the server cuts off a viewer whose socket backs up until the next key frame; here,
 * a decoder that falls behind skips to the next key frame too. The picture goes into a
 * MediaStream on video.js's <video> (frameOutput.ts), so the player shell is the same on every path.
 *
 * Fatal (the Player falls back to the next path): the socket cannot open or closes before a
 * picture, or every seat is taken (then HLS: the MSE driver would meet the same socket), or the
 * browser cannot decode the stream's codecs (then MSE, mse.ts). The socket, clock and delay
 * figure are fastLink.ts's, shared with mse.ts.
 */
import type { AttachOptions, PlaybackSession, SourceDriver } from './driver.js';
import type { PlaybackSource } from '../shared/types.js';
import { createShell } from './shell.js';
import { createFrameOutput, frameOutputSupported, type FrameOutput } from './frameOutput.js';
import { FastLink, type InitMessage } from './fastLink.js';
import { TRACK_AUDIO, TRACK_VIDEO, base64Bytes, type WireFrame } from './fastWire.js';

/** A decoder with more than this many frames waiting is behind: skip to the next key frame. */
const MAX_DECODE_QUEUE = 3;
/** At most this many frames wait for the decoders' setup (one GOP of video and its sound is ~40). */
const MAX_PENDING = 240;

export const fastDriver: SourceDriver = {
  kind: 'fast',
  path: 'fast',
  param: 'fast',
  label: 'fast (WebCodecs)',

  unsupported() {
    if (typeof WebSocket === 'undefined') return 'no WebSocket';
    if (typeof VideoDecoder === 'undefined' || typeof AudioDecoder === 'undefined') {
      // WebCodecs exists only in secure contexts (HTTPS, or 127.0.0.1).
      return typeof isSecureContext !== 'undefined' && !isSecureContext ? 'plain HTTP: no WebCodecs' : 'this browser has no WebCodecs';
    }
    return frameOutputSupported() ? null : 'this browser cannot show decoded frames';
  },

  attach(host: HTMLElement, source: PlaybackSource, opts: AttachOptions): PlaybackSession {
    const shell = createShell(host, opts.muted);
    const { video } = shell;
    const session = new FastSession(video, source.url, opts);
    return {
      kind: 'fast',
      video,
      delayMs: () => session.link.delayMs(),
      destroy: () => {
        session.link.close();
        video.srcObject = null;
        shell.dispose();
      },
    };
  },
};

class FastSession {
  readonly link: FastLink;
  private readonly output: FrameOutput;
  private videoDecoder: VideoDecoder | null = null;
  private audioDecoder: AudioDecoder | null = null;
  private waitingForKey = true;
  /** Receive time (server clock) by presentation timestamp, until the frame is shown. */
  private readonly receivedAt = new Map<number, number>();
  /** Frames that arrive while the decoders are being set up (a joiner's GOP comes right after init). */
  private pending: WireFrame[] | null = null;
  /** Counts decoder setups, so that a stale one (the encoder restarted meanwhile) is dropped. */
  private setups = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    url: string,
    opts: AttachOptions,
  ) {
    this.output = createFrameOutput();
    video.srcObject = this.output.stream;
    this.link = new FastLink(url, 'fast path', opts, {
      onInit: (msg) => this.onInit(msg),
      onFrame: (frame) => this.onFrame(frame),
      onClosed: () => {
        this.closeDecoders();
        this.output.close();
      },
    });
  }

  private onFrame(frame: WireFrame): void {
    if (this.pending) {
      if (this.pending.length < MAX_PENDING) this.pending.push(frame);
      return;
    }
    this.decode(frame);
  }

  private decode(frame: WireFrame, catchingUp = false): void {
    if (frame.track === TRACK_VIDEO) this.decodeVideo(frame, catchingUp);
    else if (frame.track === TRACK_AUDIO) this.decodeAudio(frame, catchingUp);
  }

  private onInit(msg: InitMessage): void {
    this.pending = [];
    const setup = ++this.setups;
    void this.configure(msg, setup).then(
      () => {
        if (setup !== this.setups) return; // a newer init is being set up
        const frames = this.pending ?? [];
        this.pending = null;
        // The joiner's GOP: decode all of it (its last frames are live), however deep the queue gets.
        for (const f of frames) this.decode(f, true);
      },
      (err: Error) => this.link.fail(err.message),
    );
  }

  private async configure(msg: InitMessage, setup: number): Promise<void> {
    this.closeDecoders();
    this.waitingForKey = true;
    const videoConfig: VideoDecoderConfig = {
      codec: msg.video.codec,
      codedWidth: msg.video.codedWidth,
      codedHeight: msg.video.codedHeight,
      description: base64Bytes(msg.video.description),
      optimizeForLatency: true,
    };
    if (!(await VideoDecoder.isConfigSupported(videoConfig)).supported) throw new Error(`this browser cannot decode ${msg.video.codec}`);
    if (this.link.isClosed || setup !== this.setups) return;
    const videoDecoder = new VideoDecoder({
      output: (frame) => this.show(frame),
      error: (err) => this.link.fail(`video decoder: ${err.message}`),
    });
    videoDecoder.configure(videoConfig);
    this.videoDecoder = videoDecoder;

    if (msg.audio) {
      const audioConfig: AudioDecoderConfig = {
        codec: msg.audio.codec,
        sampleRate: msg.audio.sampleRate,
        numberOfChannels: msg.audio.numberOfChannels,
        description: base64Bytes(msg.audio.description),
      };
      // Without sound support we still show the picture: better than falling back to seconds of delay.
      if ((await AudioDecoder.isConfigSupported(audioConfig)).supported && !this.link.isClosed && setup === this.setups) {
        const audioDecoder = new AudioDecoder({
          output: (data) => this.output.playAudio(data),
          error: () => {
            this.audioDecoder = null;
          },
        });
        audioDecoder.configure(audioConfig);
        this.audioDecoder = audioDecoder;
      }
    }
  }

  private decodeVideo(frame: WireFrame, catchingUp: boolean): void {
    const decoder = this.videoDecoder;
    if (!decoder || decoder.state !== 'configured') return;
    if (!frame.key && (this.waitingForKey || (!catchingUp && decoder.decodeQueueSize > MAX_DECODE_QUEUE))) {
      this.waitingForKey = true; // behind (or just joined mid-GOP): jump to the next key frame
      return;
    }
    this.waitingForKey = false;
    // WebCodecs timestamps are whole microseconds.
    const timestamp = Math.round(frame.timestampUs);
    this.receivedAt.set(timestamp, frame.receivedAtMs);
    decoder.decode(new EncodedVideoChunk({ type: frame.key ? 'key' : 'delta', timestamp, data: frame.data }));
  }

  private decodeAudio(frame: WireFrame, catchingUp: boolean): void {
    const decoder = this.audioDecoder;
    if (!decoder || decoder.state !== 'configured' || this.waitingForKey) return;
    // A joiner's backlog of sound would only add delay: sound starts live.
    if (catchingUp || decoder.decodeQueueSize > MAX_DECODE_QUEUE * 4) return;
    decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: Math.round(frame.timestampUs), data: frame.data }));
  }

  private show(frame: VideoFrame): void {
    if (this.link.isClosed) return frame.close();
    const received = this.receivedAt.get(frame.timestamp);
    if (received !== undefined) {
      // Frames come out in the order they went in (no B-frames): forget this one and any before it.
      for (const ts of this.receivedAt.keys()) {
        this.receivedAt.delete(ts);
        if (ts === frame.timestamp) break;
      }
    }
    this.link.pictureShown(received);
    this.output.showVideo(frame);
    if (this.video.paused && this.video.readyState >= 2) void this.video.play().catch(() => undefined);
  }

  private closeDecoders(): void {
    for (const d of [this.videoDecoder, this.audioDecoder]) if (d && d.state !== 'closed') d.close();
    this.videoDecoder = this.audioDecoder = null;
    this.receivedAt.clear();
  }
}
