/**
 * A message body read across chunks, shared by the two RFB readers (filter.ts for the browser's
 * bytes, serverCut.ts for x11vnc's): the cut-text body of a known length being collected.
 */
export interface Filling {
  buf: Buffer;
  filled: number;
}

/** Copies into `body` what `chunk` holds from `at` (at most what is missing); returns the bytes taken. */
export function fillFrom(body: Filling, chunk: Buffer, at: number): number {
  const n = Math.min(body.buf.length - body.filled, chunk.length - at);
  chunk.copy(body.buf, body.filled, at, at + n);
  body.filled += n;
  return n;
}

export const isFull = (body: Filling): boolean => body.filled === body.buf.length;
