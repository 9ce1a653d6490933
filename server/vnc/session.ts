/**
 * One browser's VNC session, between its WebSocket and the room's x11vnc:
 *
 *   browser (noVNC) <-ws-> [ we play an RFB server offering "None" security ] ... [ we are an
 *   authenticated RFB client of x11vnc, already past ServerInit ] <-unix socket-> x11vnc
 *
 * The browser gets our version, security and a copy of x11vnc's ServerInit (its size, so noVNC
 * maps pointer coordinates), and nothing else but the session's clipboard when the room allows it
 * (serverCut.ts reads x11vnc's ServerCutText; re-encoded, under the size limit): no pixels (the
 * picture is the stream), no bell. Its messages go through the filter (filter.ts: keys, pointer and,
 * when allowed, ClientCutText pass) and the key guard (keys.ts: no chords that leave the kiosk). When the session ends (control
 * moved, tab closed) held keys and buttons are released so nothing stays pressed in the room.
 *
 * Every buffer is bounded: the handshake reads at most 12 bytes at a time, the filter one header,
 * x11vnc's bytes after ServerInit are counted, and dropped unless they are a clipboard text. Backpressure both ways: the browser's
 * socket is paused while x11vnc's write buffer is above HIGH_WATER, x11vnc's while the browser's
 * bufferedAmount is. Input after a paste waits for the room's clipboard to settle (pasteHold.ts).
 */
import type { Socket } from 'node:net';
import { RFB_VERSION, SECURITY_NONE, keyEvent, pointerEvent } from './rfb.js';
import { CLOSE, DEFAULT_FILTER, RfbClientFilter, type Dropped, type FilterOptions } from './filter.js';
import { KeyGuard } from './keys.js';
import { ServerMessageReader, serverCutText } from './serverCut.js';
import { copiedText, latin1Bytes } from './cutTextCharset.js';
import { RecentPastes } from './recentPastes.js';
import { PasteHold } from './pasteHold.js';

/** What the session needs from the browser side's socket. */
export interface BrowserSide {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Bytes queued towards the browser. */
  bufferedAmount(): number;
  /** Stop / start reading from the browser. */
  pause(): void;
  resume(): void;
}

export interface SessionSummary {
  code: number;
  reason: string;
  keys: number;
  pointer: number;
  blockedKeys: number;
  dropped: Record<Dropped, number>;
  /** Bytes x11vnc sent after ServerInit; only clipboard texts among them, since nothing asks it for pixels. */
  upstreamBytes: number;
  /** x11vnc messages that were neither a clipboard text nor a bell (pixels, say): none expected. */
  upstreamOther: number;
  /** Clipboard texts pasted into the room, and copied out to this browser. */
  pasted: number;
  /** Pastes the room's clipboard relay confirmed with its bell (fewer than `pasted`: the relay is broken). */
  pasteAcks: number;
  copiedOut: number;
}

export interface SessionHooks {
  /** Input that reached the room (a key, or the pointer moving or clicking): the holder is active. */
  onInput(): void;
  /** The session's clipboard changed (x11vnc's ServerCutText), whether or not this browser gets it. */
  onCopy?(text: Buffer): void;
  /** This browser pasted `text` into the room (x11vnc echoes it to every client). */
  onPaste?(text: Buffer): void;
  onEnd(summary: SessionSummary): void;
}

export interface SessionOptions {
  filter: FilterOptions;
  /** The session's clipboard texts go to this browser (the room's clipboard is not 'off'). */
  copyOut: boolean;
  /** The browser must finish its handshake within this. */
  handshakeMs: number;
  /** How long input after a paste waits at most for the relay's bell (pasteHold.ts); PASTE_SETTLE_MAX_MS unless a test says. */
  pasteSettleMs?: number;
}

export const HIGH_WATER = 256 * 1024;
/** Past this much queued towards x11vnc despite the pause, the session ends. */
const HARD_LIMIT = 4 * 1024 * 1024;

type Phase = 'version' | 'security' | 'init' | 'running' | 'closed';

export class VncSession {
  private phase: Phase = 'version';
  private head = Buffer.alloc(0);
  private readonly filter: RfbClientFilter;
  private readonly keys = new KeyGuard();
  private buttonMask = 0;
  private pointer = { x: -1, y: -1 };
  private pausedBrowser = false;
  private upstreamPoll: NodeJS.Timeout | null = null;
  private readonly handshakeTimer: NodeJS.Timeout;
  private readonly fromRoom: ServerMessageReader;
  /** What this browser pasted lately: x11vnc echoes it back as ServerCutText, which is not a copy. */
  private readonly pastes = new RecentPastes();
  private readonly hold: PasteHold;
  private readonly stats = { keys: 0, pointer: 0, blockedKeys: 0, upstreamBytes: 0, upstreamOther: 0, pasted: 0, pasteAcks: 0, copiedOut: 0, dropped: { 'set-pixel-format': 0, 'set-encodings': 0, 'fb-update-request': 0, 'cut-text': 0 } };

  constructor(
    private readonly browser: BrowserSide,
    private readonly upstream: Socket,
    /** The ServerInit message to hand the browser (rfb.ts serverInitMessage). */
    private readonly serverInit: Buffer,
    private readonly hooks: SessionHooks,
    private readonly opts: SessionOptions = { filter: DEFAULT_FILTER, copyOut: false, handshakeMs: 10_000 },
  ) {
    this.filter = new RfbClientFilter(opts.filter);
    this.hold = new PasteHold((bytes) => this.toUpstream(bytes), () => this.resumeBrowser(), opts.pasteSettleMs);
    this.fromRoom = new ServerMessageReader(opts.filter.maxCutText);
    this.handshakeTimer = setTimeout(() => this.end(CLOSE.timeout, 'the VNC handshake did not finish in time'), opts.handshakeMs);
    this.handshakeTimer.unref();
    upstream.on('data', (chunk: Buffer) => this.fromUpstream(chunk));
    upstream.on('drain', () => this.resumeBrowser());
    upstream.on('close', () => this.end(CLOSE.upstream, 'the room input service went away'));
    upstream.on('error', () => this.end(CLOSE.upstream, 'the room input service failed'));
    this.toBrowser(Buffer.from(RFB_VERSION, 'latin1'));
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Bytes from the browser. */
  fromBrowser(data: Buffer): void {
    let at = 0;
    while (this.phase !== 'running' && this.phase !== 'closed' && at < data.length) {
      const need = this.phase === 'version' ? 12 : 1;
      const n = Math.min(need - this.head.length, data.length - at);
      this.head = Buffer.concat([this.head, data.subarray(at, at + n)]);
      at += n;
      if (this.head.length < need) return;
      const got = this.head;
      this.head = Buffer.alloc(0);
      this.handshake(got);
    }
    if (this.phase === 'running' && at < data.length) this.messages(at === 0 ? data : data.subarray(at));
  }

  /** Ends the session: releases held input in the room, closes both sides. Idempotent. */
  end(code: number = 1000, reason = 'closed'): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearTimeout(this.handshakeTimer);
    if (this.upstreamPoll) clearInterval(this.upstreamPoll);
    this.hold.cancel();
    if (!this.upstream.destroyed) {
      const release = this.keys.held.map((keysym) => keyEvent(keysym, false));
      if (this.buttonMask !== 0) release.push(pointerEvent(Math.max(0, this.pointer.x), Math.max(0, this.pointer.y), 0));
      if (release.length > 0) this.upstream.write(Buffer.concat(release));
    }
    this.keys.reset();
    this.buttonMask = 0;
    this.upstream.end();
    // x11vnc normally closes at once; do not wait on a stuck one.
    setTimeout(() => this.upstream.destroy(), 2000).unref();
    try {
      this.browser.close(code, reason);
    } catch {
      // already closed
    }
    this.hooks.onEnd({ code, reason, ...this.stats, dropped: { ...this.stats.dropped } });
  }

  get held(): { keys: number[]; buttonMask: number } {
    return { keys: this.keys.held, buttonMask: this.buttonMask };
  }

  private handshake(bytes: Buffer): void {
    if (this.phase === 'version') {
      const version = bytes.toString('latin1');
      if (!/^RFB 003\.00[3-8]\n$/.test(version)) return this.end(CLOSE.protocol, 'not an RFB client');
      if (version !== RFB_VERSION) return this.end(CLOSE.protocol, 'RFB 3.8 is required');
      this.toBrowser(Buffer.from([1, SECURITY_NONE])); // one type: None (the gateway authenticated already)
      this.phase = 'security';
    } else if (this.phase === 'security') {
      if (bytes[0] !== SECURITY_NONE) return this.end(CLOSE.protocol, 'unsupported security type');
      this.toBrowser(Buffer.from([0, 0, 0, 0])); // SecurityResult: OK
      this.phase = 'init';
    } else if (this.phase === 'init') {
      // ClientInit's shared flag: x11vnc got ours (shared) when the gateway connected.
      this.toBrowser(this.serverInit);
      clearTimeout(this.handshakeTimer);
      this.phase = 'running';
    }
  }

  private messages(data: Buffer): void {
    const { events, error } = this.filter.push(data);
    const out: Buffer[] = [];
    let active = false;
    for (const ev of events) {
      if (ev.kind === 'key') {
        if (!this.keys.allow(ev.keysym, ev.down)) {
          if (ev.down) this.stats.blockedKeys++;
          continue;
        }
        this.stats.keys++;
        active = true;
        out.push(ev.bytes);
      } else if (ev.kind === 'pointer') {
        // A pointer event that neither moves nor clicks is not the holder doing anything.
        if (ev.x !== this.pointer.x || ev.y !== this.pointer.y || ev.buttonMask !== this.buttonMask) active = true;
        this.buttonMask = ev.buttonMask;
        this.pointer = { x: ev.x, y: ev.y };
        this.stats.pointer++;
        out.push(ev.bytes);
      } else if (ev.kind === 'cut-text') {
        out.push(ev.bytes); // only with the room's clipboard on (filter option)
        this.sendInput(out.splice(0));
        this.hold.pasted(); // what follows waits for the room's clipboard to settle
        this.pauseBrowser();
        this.pastes.add(ev.text);
        this.stats.pasted++;
        this.hooks.onPaste?.(ev.text);
      } else {
        this.stats.dropped[ev.what]++;
      }
    }
    if (out.length > 0) this.sendInput(out);
    if (active) this.hooks.onInput();
    if (error) this.end(error.code, error.reason);
  }

  /** x11vnc's bytes: a clipboard text goes on (when allowed, once the browser is past its handshake). */
  private fromUpstream(chunk: Buffer): void {
    this.stats.upstreamBytes += chunk.length;
    if (this.fromRoom.unframed) return;
    for (const ev of this.fromRoom.push(chunk)) {
      if (ev.kind === 'unframed') this.stats.upstreamOther++;
      // The clipboard relay's bell: a paste is in place, what waited behind it may go (pasteHold.ts).
      if (ev.kind === 'bell' && this.hold.acknowledged()) this.stats.pasteAcks++;
      // An empty text is no copy: x11vnc sends its (empty) cut buffer 0 when its hold on a new client ends.
      if (ev.kind !== 'cut-text' || ev.text.length === 0 || this.phase === 'closed') continue;
      if (this.pastes.isEcho(ev.text)) continue;
      this.hooks.onCopy?.(ev.text);
      if (!this.opts.copyOut || this.phase !== 'running') continue;
      this.stats.copiedOut++;
      this.toBrowser(serverCutText(latin1Bytes(copiedText(ev.text)))); // Latin-1, as noVNC reads it (cutTextCharset.ts)
    }
  }

  /** Input towards x11vnc, through the paste hold. */
  private sendInput(out: Buffer[]): void {
    this.hold.send(out.length === 1 ? out[0]! : Buffer.concat(out));
    // The browser is paused while a paste settles; only what ws had already read can pile up.
    if (this.hold.queuedBytes > HARD_LIMIT) this.end(CLOSE.tooBig, 'too much input while a paste settles');
  }

  private toUpstream(bytes: Buffer): void {
    if (this.upstream.destroyed) return;
    this.upstream.write(bytes);
    if (this.upstream.writableLength > HARD_LIMIT) return this.end(CLOSE.upstream, 'the room input service is not keeping up');
    if (this.upstream.writableLength > HIGH_WATER) this.pauseBrowser();
  }

  /** Stops reading the browser: x11vnc is behind, or a paste is settling. */
  private pauseBrowser(): void {
    if (this.pausedBrowser) return;
    this.pausedBrowser = true;
    this.browser.pause();
  }

  /** Reads the browser again once neither holds (x11vnc's drain, the end of a paste's hold). */
  private resumeBrowser(): void {
    if (!this.pausedBrowser || this.phase === 'closed' || this.hold.holding || this.upstream.writableLength > HIGH_WATER) return;
    this.pausedBrowser = false;
    this.browser.resume();
  }

  private toBrowser(bytes: Buffer): void {
    this.browser.send(bytes);
    if (this.browser.bufferedAmount() <= HIGH_WATER || this.upstreamPoll) return;
    // The browser is not reading: stop reading x11vnc until it catches up (ws has no drain event).
    this.upstream.pause();
    this.upstreamPoll = setInterval(() => {
      if (this.browser.bufferedAmount() > HIGH_WATER / 2) return;
      clearInterval(this.upstreamPoll!);
      this.upstreamPoll = null;
      this.upstream.resume();
    }, 50);
    this.upstreamPoll.unref();
  }
}
