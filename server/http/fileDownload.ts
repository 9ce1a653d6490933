/**
 * A file as a download: Content-Disposition attachment, and single byte ranges (`Range:
 * bytes=A-B`, `A-`, `-N`) answered with 206, so a player can seek and a broken download resume.
 * Anything else in Range (several ranges, other units) gets the whole file; a range past the end
 * gets 416. The file is streamed, never read into memory.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Context } from 'hono';

export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

export function sendFile(c: Context, file: { path: string; bytes: number }, downloadName: string, type: string): Response {
  const headers: Record<string, string> = {
    'Content-Type': type,
    'Content-Disposition': `attachment; filename="${downloadName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    'Accept-Ranges': 'bytes',
  };
  const range = parseRange(c.req.header('range'), file.bytes);
  if (range === 'unsatisfiable') return c.body(null, 416, { ...headers, 'Content-Range': `bytes */${file.bytes}` });
  const { start, end } = range ?? { start: 0, end: file.bytes - 1 };
  const length = file.bytes === 0 ? 0 : end - start + 1;
  if (length === 0) return c.body(null, 200, { ...headers, 'Content-Length': '0' });
  const body = Readable.toWeb(createReadStream(file.path, { start, end })) as ReadableStream;
  if (!range) return c.body(body, 200, { ...headers, 'Content-Length': String(length) });
  return c.body(body, 206, { ...headers, 'Content-Length': String(length), 'Content-Range': `bytes ${start}-${end}/${file.bytes}` });
}
