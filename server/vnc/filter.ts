/**
 * The browser's RFB message stream after ClientInit, parsed and filtered: a pure, incremental
 * parser with no sockets. It is what stands between a driver's browser and the room's x11vnc.
 *
 * Only KeyEvent and PointerEvent go on to x11vnc (re-encoded, so nothing but the fields we read
 * reaches it). ClientCutText goes on only when the room enables the clipboard, under a small limit.
 * SetPixelFormat, SetEncodings and FramebufferUpdateRequest are read and dropped: the picture
 * comes from the stream, never from VNC, and x11vnc only ever sends pixels when asked to (RFC 6143
 * 7.5.3), so it is never asked. Anything else closes the session.
 *
 * Framing never trusts a length beyond its limit: SetEncodings may list `maxEncodings`, ClientCutText
 * may carry `maxCutText` bytes. Neither side is ever offered the extended-clipboard pseudo-encoding,
 * so a ClientCutText length is always the unsigned byte count of RFC 6143 and a high-bit length
 * (extended clipboard's "negative" form) is simply too long. Bodies that are dropped are skipped as
 * they arrive, never buffered; the only buffer is one message header (at most 20 bytes) or an
 * accepted clipboard text.
 */
import { fillFrom, isFull, type Filling } from './bodyBytes.js';
import { keyEvent, pointerEvent } from './rfb.js';
import { CLOSE_VNC_CONTROL_MOVED, CLOSE_VNC_TIMEOUT } from '../../protocol/closeCodes.js';
import { CLIPBOARD_MAX_BYTES } from '../rooms/clipboard.js';

export const MSG = { setPixelFormat: 0, setEncodings: 2, fbUpdateRequest: 3, keyEvent: 4, pointerEvent: 5, clientCutText: 6 } as const;

/** WebSocket close codes the gateway uses (its own ones: protocol/closeCodes.ts); the room page shows `reason`. */
export const CLOSE = {
  /** A message we do not allow (unknown type, or a malformed handshake). */
  protocol: 1002,
  /** A length over the limit. */
  tooBig: 1009,
  /** x11vnc went away or failed. */
  upstream: 1011,
  /** Control moved to someone else. */
  controlMoved: CLOSE_VNC_CONTROL_MOVED,
  /** Too slow: the handshake did not finish, or the connection stopped answering pings. */
  timeout: CLOSE_VNC_TIMEOUT,
} as const;

export interface FilterOptions {
  /** Longest SetEncodings list accepted (noVNC sends about 25). */
  maxEncodings: number;
  /** Longest ClientCutText accepted, in bytes; its text is passed on only when `clipboard` is true. */
  maxCutText: number;
  /** The room's clipboard is not 'off' (issue 14); when it is, every ClientCutText is dropped. */
  clipboard: boolean;
}

export const DEFAULT_FILTER: FilterOptions = { maxEncodings: 64, maxCutText: CLIPBOARD_MAX_BYTES, clipboard: false };

export type Dropped = 'set-pixel-format' | 'set-encodings' | 'fb-update-request' | 'cut-text';

export type FilterEvent =
  | { kind: 'key'; down: boolean; keysym: number; bytes: Buffer }
  | { kind: 'pointer'; buttonMask: number; x: number; y: number; bytes: Buffer }
  | { kind: 'cut-text'; text: Buffer; bytes: Buffer }
  | { kind: 'dropped'; what: Dropped };

export interface FilterError {
  code: number;
  reason: string;
}

/** Fixed message sizes, and the header size of the two variable ones. */
const HEADER: Record<number, number> = { 0: 20, 2: 4, 3: 10, 4: 8, 5: 6, 6: 8 };

export class RfbClientFilter {
  /** A message header split across chunks (never more than 20 bytes). */
  private head = Buffer.alloc(0);
  /** Body bytes still to skip (SetEncodings list, dropped cut text). */
  private skip = 0;
  private skipWhat: Dropped | null = null;
  /** An accepted cut text being collected (at most maxCutText bytes). */
  private text: Filling | null = null;
  private failed: FilterError | null = null;

  constructor(private readonly opts: FilterOptions = DEFAULT_FILTER) {}

  /** Feeds bytes from the browser; returns what they amounted to, or the error that ends the session. */
  push(chunk: Buffer): { events: FilterEvent[]; error: FilterError | null } {
    const events: FilterEvent[] = [];
    if (this.failed) return { events, error: this.failed };
    let at = 0;
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        if (this.skip === 0 && this.skipWhat) events.push({ kind: 'dropped', what: this.skipWhat });
        continue;
      }
      if (this.text) {
        at += fillFrom(this.text, chunk, at);
        if (isFull(this.text)) {
          events.push(cutText(this.text.buf));
          this.text = null;
        }
        continue;
      }
      const type = this.head.length > 0 ? this.head[0]! : chunk[at]!;
      const size = HEADER[type];
      if (size === undefined) return this.fail(events, CLOSE.protocol, `RFB message type ${type} is not allowed`);
      const n = Math.min(size - this.head.length, chunk.length - at);
      this.head = Buffer.concat([this.head, chunk.subarray(at, at + n)]);
      at += n;
      if (this.head.length < size) break;
      const msg = this.head;
      this.head = Buffer.alloc(0);
      const error = this.message(msg, events);
      if (error) return this.fail(events, error.code, error.reason);
    }
    return { events, error: null };
  }

  private message(msg: Buffer, events: FilterEvent[]): FilterError | null {
    switch (msg[0]) {
      case MSG.setPixelFormat:
        events.push({ kind: 'dropped', what: 'set-pixel-format' });
        return null;
      case MSG.fbUpdateRequest:
        events.push({ kind: 'dropped', what: 'fb-update-request' });
        return null;
      case MSG.keyEvent: {
        const down = msg[1] !== 0;
        const keysym = msg.readUInt32BE(4);
        events.push({ kind: 'key', down, keysym, bytes: keyEvent(keysym, down) });
        return null;
      }
      case MSG.pointerEvent: {
        const buttonMask = msg[1]!;
        const x = msg.readUInt16BE(2);
        const y = msg.readUInt16BE(4);
        events.push({ kind: 'pointer', buttonMask, x, y, bytes: pointerEvent(x, y, buttonMask) });
        return null;
      }
      case MSG.setEncodings: {
        const count = msg.readUInt16BE(2);
        if (count > this.opts.maxEncodings) return { code: CLOSE.tooBig, reason: `SetEncodings lists ${count} encodings; at most ${this.opts.maxEncodings}` };
        this.skipBody(4 * count, 'set-encodings', events);
        return null;
      }
      case MSG.clientCutText: {
        const length = msg.readUInt32BE(4);
        if (length > this.opts.maxCutText) return { code: CLOSE.tooBig, reason: `ClientCutText of ${length} bytes; at most ${this.opts.maxCutText}` };
        if (!this.opts.clipboard) this.skipBody(length, 'cut-text', events);
        else if (length === 0) events.push(cutText(Buffer.alloc(0)));
        else this.text = { buf: Buffer.alloc(length), filled: 0 };
        return null;
      }
      default:
        return { code: CLOSE.protocol, reason: `RFB message type ${msg[0]} is not allowed` };
    }
  }

  private skipBody(n: number, what: Dropped, events: FilterEvent[]): void {
    if (n === 0) return void events.push({ kind: 'dropped', what });
    this.skip = n;
    this.skipWhat = what;
  }

  private fail(events: FilterEvent[], code: number, reason: string): { events: FilterEvent[]; error: FilterError } {
    this.failed = { code, reason };
    this.head = Buffer.alloc(0);
    this.text = null;
    return { events, error: this.failed };
  }
}

function cutText(text: Buffer): FilterEvent {
  const bytes = Buffer.alloc(8 + text.length);
  bytes[0] = MSG.clientCutText;
  bytes.writeUInt32BE(text.length, 4);
  text.copy(bytes, 8);
  return { kind: 'cut-text', text, bytes };
}
