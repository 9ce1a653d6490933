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
 * Fatal (the Player falls back to the next source, HLS): the socket cannot open or closes before
 * a picture, every seat is taken, or the browser cannot decode the stream's codecs.
 */
import type { AttachOptions, PlaybackSession, SourceDriver } from './source.js';
import type { PlaybackSource } from '../shared/types.js';
import { createShell } from './shell.js';
import { createFrameOutput, frameOutputSupported, type FrameOutput } from './frameOutput.js';
import { CLOSE_ROOM_GONE, CLOSE_SEATS_FULL, TRACK_AUDIO, TRACK_VIDEO, base64Bytes, parseFrame, type ServerMessage, type WireFrame } from './fastWire.js';

/** A decoder with more than this many frames waiting is behind: skip to the next key frame. */
const MAX_DECODE_QUEUE = 3;
const PING_EVERY_MS = 1000;
/** At most this many frames wait for the decoders' setup (one GOP of video and its sound is ~40). */
const MAX_PENDING = 240;
/**
 * A MediaStream's currentTime runs on even when no frames come, so the Player cannot see a stall:
 * no picture for this long after the first one means the path broke (the Player reconnects).
 */
const NO_PICTURE_MS = 4000;
/** Delay figures are the median of this many recent pictures. */
const DELAY_WINDOW = 30;

export const fastDriver: SourceDriver = {
  kind: 'fast',

  supported() {
    return typeof WebSocket !== 'undefined' && typeof VideoDecoder !== 'undefined' && typeof AudioDecoder !== 'undefined' && frameOutputSupported();
  },

  attach(host: HTMLElement, source: PlaybackSource, opts: AttachOptions): PlaybackSession {
    const shell = createShell(host, opts.muted);
    const { video } = shell;
    const session = new FastSession(video, source.url, opts);
    return {
      kind: 'fast',
      video,
      delayMs: () => session.delayMs(),
      destroy: () => {
        session.close();
        video.srcObject = null;
        shell.dispose();
      },
    };
  },
};

class FastSession {
  private readonly socket: WebSocket;
  private readonly output: FrameOutput;
  private videoDecoder: VideoDecoder | null = null;
  private audioDecoder: AudioDecoder | null = null;
  private waitingForKey = true;
  private shownAny = false;
  private lastShownAt = 0;
  private closed = false;
  private pinger: number;
  /** Server clock minus ours, from the ping with the shortest round trip. */
  private clockOffsetMs = 0;
  private bestRttMs = Infinity;
  /** Receive time (server clock) by presentation timestamp, until the frame is shown. */
  private readonly receivedAt = new Map<number, number>();
  private readonly delays: number[] = [];
  /** Frames that arrive while the decoders are being set up (a joiner's GOP comes right after init). */
  private pending: WireFrame[] | null = null;
  /** Counts decoder setups, so that a stale one (the encoder restarted meanwhile) is dropped. */
  private setups = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    url: string,
    private readonly opts: AttachOptions,
  ) {
    this.output = createFrameOutput();
    video.srcObject = this.output.stream;
    this.socket = new WebSocket(url);
    this.socket.binaryType = 'arraybuffer';
    this.socket.onmessage = (event) => this.onMessage(event.data as ArrayBuffer | string);
    this.socket.onopen = () => this.ping();
    this.socket.onclose = (event) => this.onClose(event.code, event.reason);
    this.pinger = window.setInterval(() => {
      this.ping();
      if (this.shownAny && performance.now() - this.lastShownAt > NO_PICTURE_MS) this.fail('fast path: no picture for 4 s');
    }, PING_EVERY_MS);
  }

  delayMs(): number | null {
    if (this.delays.length === 0) return null;
    const sorted = [...this.delays].sort((a, b) => a - b);
    return Math.max(0, Math.round(sorted[Math.floor(sorted.length / 2)]!));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    window.clearInterval(this.pinger);
    this.socket.onclose = null;
    this.socket.close();
    this.closeDecoders();
    this.output.close();
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.close();
    this.opts.onFatal(reason, { fallback: !this.shownAny });
  }

  private ping(): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: 'ping', t: Date.now() }));
  }

  private onClose(code: number, reason: string): void {
    if (code === CLOSE_SEATS_FULL) return this.fail('fast path: every seat is taken');
    if (code === CLOSE_ROOM_GONE) return this.fail('fast path: room deleted');
    this.fail(`fast path: connection closed (${code}${reason ? ` ${reason}` : ''})`);
  }

  private onMessage(data: ArrayBuffer | string): void {
    if (typeof data === 'string') return this.onControl(JSON.parse(data) as ServerMessage);
    const frame = parseFrame(data);
    if (!frame) return;
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

  private onControl(msg: ServerMessage): void {
    switch (msg.type) {
      case 'init': {
        this.pending = [];
        const setup = ++this.setups;
        return void this.configure(msg, setup).then(
          () => {
            if (setup !== this.setups) return; // a newer init is being set up
            const frames = this.pending ?? [];
            this.pending = null;
            // The joiner's GOP: decode all of it (its last frames are live), however deep the queue gets.
            for (const f of frames) this.decode(f, true);
          },
          (err: Error) => this.fail(`fast path: ${err.message}`),
        );
      }
      case 'pong': {
        const now = Date.now();
        const rtt = now - msg.t;
        if (rtt <= this.bestRttMs) {
          this.bestRttMs = rtt;
          this.clockOffsetMs = msg.serverTime + rtt / 2 - now;
        }
        return;
      }
      case 'full':
        return; // the close (CLOSE_SEATS_FULL) follows
    }
  }

  private async configure(msg: Extract<ServerMessage, { type: 'init' }>, setup: number): Promise<void> {
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
    if (this.closed || setup !== this.setups) return;
    const videoDecoder = new VideoDecoder({
      output: (frame) => this.show(frame),
      error: (err) => this.fail(`fast path: video decoder: ${err.message}`),
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
      if ((await AudioDecoder.isConfigSupported(audioConfig)).supported && !this.closed && setup === this.setups) {
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
    const received = this.receivedAt.get(frame.timestamp);
    if (received !== undefined) {
      // Frames come out in the order they went in (no B-frames): forget this one and any before it.
      for (const ts of this.receivedAt.keys()) {
        this.receivedAt.delete(ts);
        if (ts === frame.timestamp) break;
      }
      this.delays.push(Date.now() + this.clockOffsetMs - received);
      if (this.delays.length > DELAY_WINDOW) this.delays.shift();
    }
    if (this.closed) return frame.close();
    this.shownAny = true;
    this.lastShownAt = performance.now();
    this.output.showVideo(frame);
    if (this.video.paused && this.video.readyState >= 2) void this.video.play().catch(() => undefined);
  }

  private closeDecoders(): void {
    for (const d of [this.videoDecoder, this.audioDecoder]) if (d && d.state !== 'closed') d.close();
    this.videoDecoder = this.audioDecoder = null;
    this.receivedAt.clear();
  }
}
