/**
 * The loopback HTTP listener rooms' encoders push their fast-path streams to:
 * POST /ingest/ROOM_ID/video and .../audio, each an FLV stream of one track, with a chunked
 * body that lasts as long as the encoder runs. The room's ingest key comes inside the stream, in
 * its onMetaData (`streambox_key`), which ffmpeg loads from a credential file: in a URL it would
 * sit in ffmpeg's argv, readable by every process that can see it (security review #16).
 * Separate from the public app on purpose: it is never behind nginx, and its requests are
 * endless (Node's request timeout would cut them), so they get a server of their own.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { MediaHub } from './hub.js';

/** POST /ingest/ROOM_ID/video|audio (also the ingest buffer's, server/ingestBuffer/). */
export const INGEST_PATH = /^\/ingest\/([a-z2-7]+)\/(video|audio)$/;

/** The room's ingest base URL; the encoder appends `video` and `audio`. No secret in it. */
export function ingestUrl(host: string, port: number, roomId: string): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/ingest/${roomId}/`;
}

export function createIngestServer(media: MediaHub, log: Logger): Server {
  const server = createServer((req, res) => handle(req, res));
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://ingest');
    const [, roomId, kind] = INGEST_PATH.exec(url.pathname) ?? [];
    const reply = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${text}\n`);
    };
    if (req.method !== 'POST' && req.method !== 'PUT') return reply(405, 'POST or PUT only');
    if (!roomId || (kind !== 'video' && kind !== 'audio')) return reply(404, 'no such ingest path');
    // The room check reads SQLite: a database error must cost this one encoder connection a 503
    // (it retries), never the whole process (security review #19b).
    let known: boolean;
    try {
      known = media.isIngestRoom(roomId);
    } catch (err) {
      log.error('media: ingest check failed', { room: roomId, err: (err as Error).message });
      return reply(503, 'cannot check the room now');
    }
    if (!known) return reply(404, 'no such room');
    req.socket.setNoDelay(true);
    const ingest = media.openIngest(roomId, kind, (reason, status = 400) => {
      reply(status, reason);
      req.destroy();
    });
    req.on('data', (chunk: Buffer) => ingest.push(chunk));
    req.on('end', () => {
      // A body that ended before it showed the room's key (not FLV, too short) is refused too.
      const accepted = ingest.end();
      if (!res.headersSent) reply(accepted ? 200 : 400, accepted ? 'ok' : 'no FLV stream with the room key');
    });
    req.on('error', () => ingest.end());
    req.on('close', () => {
      if (!req.complete) ingest.end();
    });
  };
  // A client's socket error (reset mid-stream) is that connection's business alone.
  server.on('clientError', (_err, socket) => socket.destroy());
  // The body is endless by design.
  server.requestTimeout = 0;
  server.headersTimeout = 10_000;
  return server;
}
