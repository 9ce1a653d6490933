/**
 * The loopback HTTP listener rooms' encoders push their fast-path streams to:
 * POST /ingest/ROOM_ID/KEY/video and .../audio, each an FLV stream of one track, with a chunked
 * body that lasts as long as the encoder runs. (The key is in the path so that the unit can append
 * the track to one URL from the room's env file.)
 * Separate from the public app on purpose: it is never behind nginx, and its requests are
 * endless (Node's request timeout would cut them), so they get a server of their own.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../log.js';
import type { MediaHub } from './hub.js';

const INGEST_PATH = /^\/ingest\/([a-z2-7]+)\/([A-Za-z0-9_-]+)\/(video|audio)$/;

/** The room's ingest base URL; the encoder appends `video` and `audio`. */
export function ingestUrl(host: string, port: number, roomId: string, key: string): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/ingest/${roomId}/${key}/`;
}

export function createIngestServer(media: MediaHub, log: Logger): Server {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ingest');
    const [, roomId, key, kind] = INGEST_PATH.exec(url.pathname) ?? [];
    const reply = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${text}\n`);
    };
    if (req.method !== 'POST' && req.method !== 'PUT') return reply(405, 'POST or PUT only');
    if (!roomId || !key || (kind !== 'video' && kind !== 'audio')) return reply(404, 'no such ingest path');
    if (!media.checkIngestKey(roomId, key)) {
      log.warn('media: ingest refused: wrong key', { room: roomId });
      return reply(403, 'wrong key');
    }
    req.socket.setNoDelay(true);
    const ingest = media.openIngest(roomId, kind, (reason) => {
      reply(400, reason);
      req.destroy();
    });
    req.on('data', (chunk: Buffer) => ingest.push(chunk));
    req.on('end', () => {
      ingest.end();
      if (!res.headersSent) reply(200, 'ok');
    });
    req.on('error', () => ingest.end());
    req.on('close', () => {
      if (!req.complete) ingest.end();
    });
  });
  // The body is endless by design.
  server.requestTimeout = 0;
  server.headersTimeout = 10_000;
  return server;
}
