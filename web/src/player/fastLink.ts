/**
 * What both fast-path drivers (fast.ts: WebCodecs, mse.ts: Media Source Extensions) share: the
 * WebSocket to /api/rooms/ID/media, the ping that estimates the server's clock, the dispatch of
 * `init` and frame messages, the delay figure (server receive time vs the frame on screen, median
 * of the last pictures) and the watchdog that calls a silent stream broken.
 *
 * Fatal, with the same contract on both drivers (driver.ts `AttachOptions.onFatal`): `fallback`
 * when it fails before its first picture; scope 'source' when the socket itself is refused or full
 * (the other fast driver would meet the same fate), 'path' when only this way of decoding failed.
 */
import type { AttachOptions, FatalScope } from './driver.js';
import { CLOSE_ROOM_GONE, CLOSE_SEATS_FULL, parseFrame, type ServerMessage, type WireFrame } from './fastWire.js';

export type InitMessage = Extract<ServerMessage, { type: 'init' }>;

export interface FastLinkHandlers {
  onInit(msg: InitMessage): void;
  onFrame(frame: WireFrame): void;
  /** The link closed (by close() or a failure): free the decoders / buffers. Called once. */
  onClosed(): void;
}

const PING_EVERY_MS = 1000;
/**
 * A picture can stop while the element's clock (or a MediaStream's) runs on: no picture for this
 * long after the first one means the path broke (the Player reconnects).
 */
const NO_PICTURE_MS = 4000;
/** Delay figures are the median of this many recent pictures. */
const DELAY_WINDOW = 30;

export class FastLink {
  private readonly socket: WebSocket;
  private readonly pinger: number;
  private closed = false;
  private shown = false;
  private lastShownAt = 0;
  /** Server clock minus ours, from the ping with the shortest round trip. */
  private clockOffsetMs = 0;
  private bestRttMs = Infinity;
  private readonly delays: number[] = [];

  constructor(
    url: string,
    /** Names the path in failure reasons, e.g. 'fast path (MSE)'. */
    private readonly label: string,
    private readonly opts: AttachOptions,
    private readonly handlers: FastLinkHandlers,
  ) {
    this.socket = new WebSocket(url);
    this.socket.binaryType = 'arraybuffer';
    this.socket.onmessage = (event) => this.onMessage(event.data as ArrayBuffer | string);
    this.socket.onopen = () => this.ping();
    this.socket.onclose = (event) => this.onClose(event.code, event.reason);
    this.pinger = window.setInterval(() => {
      this.ping();
      if (this.shown && performance.now() - this.lastShownAt > NO_PICTURE_MS) this.fail(`no picture for ${NO_PICTURE_MS / 1000} s`);
    }, PING_EVERY_MS);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get shownAny(): boolean {
    return this.shown;
  }

  /**
   * A picture reached the screen. With its relay receive time (server clock), it also counts in
   * the delay figure.
   */
  pictureShown(receivedAtMs?: number): void {
    this.shown = true;
    this.lastShownAt = performance.now();
    if (receivedAtMs === undefined) return;
    this.delays.push(Date.now() + this.clockOffsetMs - receivedAtMs);
    if (this.delays.length > DELAY_WINDOW) this.delays.shift();
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
    this.socket.onmessage = null;
    this.socket.close();
    this.handlers.onClosed();
  }

  /** The path cannot go on: closes everything and tells the Player (once). */
  fail(reason: string, scope: FatalScope = 'path', why = reason): void {
    if (this.closed) return;
    this.close();
    this.opts.onFatal(`${this.label}: ${reason}`, { fallback: !this.shown, scope, why });
  }

  private ping(): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: 'ping', t: Date.now() }));
  }

  private onClose(code: number, reason: string): void {
    if (code === CLOSE_SEATS_FULL) return this.fail('every fast-path seat is taken', 'source');
    if (code === CLOSE_ROOM_GONE) return this.fail('room deleted', 'source');
    const closed = `connection closed (${code}${reason ? ` ${reason}` : ''})`;
    this.fail(closed, 'source', `the fast path's ${closed}`);
  }

  private onMessage(data: ArrayBuffer | string): void {
    if (this.closed) return;
    if (typeof data !== 'string') {
      const frame = parseFrame(data);
      if (frame) this.handlers.onFrame(frame);
      return;
    }
    const msg = JSON.parse(data) as ServerMessage;
    switch (msg.type) {
      case 'init':
        return this.handlers.onInit(msg);
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
}
