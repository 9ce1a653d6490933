/**
 * One browser's VNC session, between its WebSocket and the room's x11vnc:
 *
 *   browser (noVNC) <-ws-> [ we play an RFB server offering "None" security ] ... [ we are an
 *   authenticated RFB client of x11vnc ] <-unix socket-> x11vnc
 *
 * After both handshakes the bytes flow through unchanged, except that we follow the client's
 * message stream to know which keys and buttons are held, so that when the session ends (control
 * moved, tab closed) we can release them and nothing stays pressed in the room.
 */
import type { Socket } from 'node:net';
import { RFB_VERSION, SECURITY_NONE, keyEvent, pointerEvent } from './rfb.js';

/** What the session needs from the browser side's socket. */
export interface BrowserSide {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
}

type Phase = 'version' | 'security' | 'running' | 'closed';

/** Byte length of a client-to-server message starting at buf[0], or null while incomplete; -1 unknown. */
export function clientMessageLength(buf: Buffer): number | null {
  if (buf.length < 1) return null;
  const need = (n: number) => (buf.length >= n ? n : null);
  switch (buf[0]) {
    case 0: // SetPixelFormat
      return need(20);
    case 2: {
      // SetEncodings
      if (buf.length < 4) return null;
      return need(4 + 4 * buf.readUInt16BE(2));
    }
    case 3: // FramebufferUpdateRequest
      return need(10);
    case 4: // KeyEvent
      return need(8);
    case 5: // PointerEvent
      return need(6);
    case 6: {
      // ClientCutText
      if (buf.length < 8) return null;
      return need(8 + buf.readUInt32BE(4));
    }
    default:
      return -1;
  }
}

export class VncSession {
  private phase: Phase = 'version';
  private pending = Buffer.alloc(0);
  /** Client messages after ClientInit, re-framed to follow held keys and buttons. */
  private stream = Buffer.alloc(0);
  private clientInitSeen = false;
  /** Bytes x11vnc sent before the browser finished its handshake (ServerInit comes after). */
  private upstreamEarly = Buffer.alloc(0);
  private readonly heldKeys = new Set<number>();
  private buttonMask = 0;
  private lastPointer = { x: 0, y: 0 };

  constructor(
    private readonly browser: BrowserSide,
    private readonly upstream: Socket,
    upstreamRest: Buffer,
    private readonly onEnd: () => void,
  ) {
    // Server side of the browser's handshake: our version first.
    browser.send(Buffer.from(RFB_VERSION, 'latin1'));
    upstream.on('data', (chunk: Buffer) => {
      if (this.phase === 'running') this.browser.send(chunk);
      else this.upstreamEarly = Buffer.concat([this.upstreamEarly, chunk]);
    });
    upstream.on('close', () => this.end(1011, 'the room input service went away'));
    upstream.on('error', () => this.end(1011, 'the room input service failed'));
    if (upstreamRest.length > 0) this.upstreamEarly = Buffer.from(upstreamRest);
  }

  /** Bytes from the browser. */
  fromBrowser(data: Buffer): void {
    if (this.phase === 'closed') return;
    this.pending = Buffer.concat([this.pending, data]);
    if (this.phase === 'version') {
      if (this.pending.length < 12) return;
      const version = this.pending.subarray(0, 12).toString('latin1');
      this.pending = this.pending.subarray(12);
      if (!/^RFB 003\.00[3-8]\n$/.test(version)) return this.end(1002, 'not an RFB client');
      if (version !== RFB_VERSION) return this.end(1002, 'RFB 3.8 is required');
      this.browser.send(Buffer.from([1, SECURITY_NONE])); // one type: None (the gateway authenticated already)
      this.phase = 'security';
    }
    if (this.phase === 'security') {
      if (this.pending.length < 1) return;
      const choice = this.pending[0];
      this.pending = this.pending.subarray(1);
      if (choice !== SECURITY_NONE) return this.end(1002, 'unsupported security type');
      this.browser.send(Buffer.from([0, 0, 0, 0])); // SecurityResult: OK
      this.phase = 'running';
      if (this.upstreamEarly.length > 0) this.browser.send(this.upstreamEarly);
      this.upstreamEarly = Buffer.alloc(0);
    }
    if (this.phase === 'running' && this.pending.length > 0) {
      const bytes = this.pending;
      this.pending = Buffer.alloc(0);
      if (!this.follow(bytes)) return this.end(1002, 'unsupported RFB message');
      this.upstream.write(bytes);
    }
  }

  /** Ends the session: releases held input in the room, closes both sides. Idempotent. */
  end(code = 1000, reason = 'closed'): void {
    if (this.phase === 'closed') return;
    const wasRunning = this.phase === 'running' && this.clientInitSeen;
    this.phase = 'closed';
    if (wasRunning && !this.upstream.destroyed) {
      const release: Buffer[] = [...this.heldKeys].map((keysym) => keyEvent(keysym, false));
      if (this.buttonMask !== 0) release.push(pointerEvent(this.lastPointer.x, this.lastPointer.y, 0));
      if (release.length > 0) this.upstream.write(Buffer.concat(release));
    }
    this.heldKeys.clear();
    this.buttonMask = 0;
    this.upstream.end();
    try {
      this.browser.close(code, reason);
    } catch {
      // already closed
    }
    this.onEnd();
  }

  get held(): { keys: number[]; buttonMask: number } {
    return { keys: [...this.heldKeys], buttonMask: this.buttonMask };
  }

  /** Follows the client message stream; false when a message cannot be framed. */
  private follow(bytes: Buffer): boolean {
    this.stream = Buffer.concat([this.stream, bytes]);
    if (!this.clientInitSeen) {
      if (this.stream.length < 1) return true;
      this.clientInitSeen = true; // ClientInit: one byte (shared flag)
      this.stream = this.stream.subarray(1);
    }
    for (;;) {
      const length = clientMessageLength(this.stream);
      if (length === null) return true;
      if (length < 0) return false;
      const msg = this.stream.subarray(0, length);
      if (msg[0] === 4) {
        const keysym = msg.readUInt32BE(4);
        if (msg[1]) this.heldKeys.add(keysym);
        else this.heldKeys.delete(keysym);
      } else if (msg[0] === 5) {
        this.buttonMask = msg[1]!;
        this.lastPointer = { x: msg.readUInt16BE(2), y: msg.readUInt16BE(4) };
      }
      this.stream = this.stream.subarray(length);
    }
  }
}
