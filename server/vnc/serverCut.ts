/**
 * x11vnc's messages after ServerInit, read incrementally with no sockets: the only ones it sends
 * the gateway are ServerCutText (the X CLIPBOARD changed, RFC 6143 7.6.4) and Bell (the room's
 * clipboard relay rings it once a paste is in place: pasteHold.ts). It sends pixels only when
 * asked, and the gateway never asks. So this reader knows
 * those two; anything else means the stream can no longer be framed, and it stops reading
 * (everything after is counted and dropped, as before issue 14).
 *
 * A text over `maxCutText` bytes is skipped as it arrives, never buffered: the browser gets
 * nothing rather than a cut-off text. The text is Latin-1 (RFB's plain cut text; the gateway
 * never offers the extended-clipboard pseudo-encoding, so no other form can arrive).
 */
import { fillFrom, isFull, type Filling } from './bodyBytes.js';

export type ServerEvent = { kind: 'cut-text'; text: Buffer } | { kind: 'cut-text-too-long'; length: number } | { kind: 'bell' } | { kind: 'unframed'; type: number };

const SERVER_CUT_TEXT = 3;
const BELL = 2;
const CUT_HEADER = 8;

export class ServerMessageReader {
  private head = Buffer.alloc(0);
  private text: Filling | null = null;
  private skip = 0;
  private lost = false;

  constructor(private readonly maxCutText: number) {}

  /** True once an unknown message was seen: nothing after it is read. */
  get unframed(): boolean {
    return this.lost;
  }

  push(chunk: Buffer): ServerEvent[] {
    const events: ServerEvent[] = [];
    let at = 0;
    while (at < chunk.length && !this.lost) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      if (this.text) {
        at += fillFrom(this.text, chunk, at);
        if (isFull(this.text)) {
          events.push({ kind: 'cut-text', text: this.text.buf });
          this.text = null;
        }
        continue;
      }
      const type = this.head.length > 0 ? this.head[0]! : chunk[at]!;
      if (type === BELL) {
        at++;
        events.push({ kind: 'bell' });
        continue;
      }
      if (type !== SERVER_CUT_TEXT) {
        this.lost = true;
        events.push({ kind: 'unframed', type });
        break;
      }
      const n = Math.min(CUT_HEADER - this.head.length, chunk.length - at);
      this.head = Buffer.concat([this.head, chunk.subarray(at, at + n)]);
      at += n;
      if (this.head.length < CUT_HEADER) break;
      const length = this.head.readUInt32BE(4);
      this.head = Buffer.alloc(0);
      if (length > this.maxCutText) {
        this.skip = length;
        events.push({ kind: 'cut-text-too-long', length });
      } else if (length === 0) events.push({ kind: 'cut-text', text: Buffer.alloc(0) });
      else this.text = { buf: Buffer.alloc(length), filled: 0 };
    }
    return events;
  }
}

/** A ServerCutText message for the browser, built afresh from the text alone. */
export function serverCutText(text: Buffer): Buffer {
  const out = Buffer.alloc(CUT_HEADER + text.length);
  out[0] = SERVER_CUT_TEXT;
  out.writeUInt32BE(text.length, 4);
  text.copy(out, CUT_HEADER);
  return out;
}
