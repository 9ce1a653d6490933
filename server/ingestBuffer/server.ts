/**
 * The ingest buffer: the listener the rooms' encoders push their fast-path tracks to (the same
 * POST /ingest/ROOM_ID/video|audio as the admin service's own, see server/media/ingestServer.ts),
 * run as its own small service (streambox-ingest.service) so that the admin service can restart
 * without any encoder noticing (issue 13): ffmpeg's tee fails, and ffmpeg with it, the moment one
 * output's connection breaks, and a restart of the encoder is a blip on RTMP and HLS too.
 *
 * Per encoder connection it splits the FLV into tags, remembers what a reader needs to start
 * mid-stream (replay.ts) and forwards each tag to the admin service over a link that is made
 * again whenever the admin comes back (upstream.ts). It checks nothing itself: the key inside
 * the stream is the admin's to check, as before.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import { FlvTagSplitter } from '../media/flvTags.js';
import { INGEST_PATH } from '../media/ingestServer.js';
import { ReplayCache } from './replay.js';
import { Upstream } from './upstream.js';

/** Encoder connections at once (two per room); more is not an encoder. */
export const MAX_CONNECTIONS = 128;

export interface IngestBufferOptions {
  /** The admin service's own ingest listener. */
  upstream: { host: string; port: number };
  log: Logger;
}

export interface IngestBuffer {
  server: Server;
  /** Encoder connections now, and links made to the admin over all of them (for tests). */
  stats(): { connections: number; links: number };
}

export function createIngestBuffer({ upstream, log }: IngestBufferOptions): IngestBuffer {
  const live = new Set<Upstream>();
  let linksOfEnded = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, text: string) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`${text}\n`);
    };
    const path = new URL(req.url ?? '/', 'http://ingest').pathname;
    const [, roomId, track] = INGEST_PATH.exec(path) ?? [];
    if (req.method !== 'POST' && req.method !== 'PUT') return reply(405, 'POST or PUT only');
    if (!roomId || !track) return reply(404, 'no such ingest path');
    if (live.size >= MAX_CONNECTIONS) return reply(503, `at most ${MAX_CONNECTIONS} encoder connections`);
    req.socket.setNoDelay(true);

    const what = { room: roomId, track };
    const cache = new ReplayCache();
    let done = false;
    const finish = (how: 'end' | 'destroy') => {
      if (done) return;
      done = true;
      live.delete(link);
      linksOfEnded += link.links;
      if (how === 'end') link.end();
      else link.destroy();
    };
    const link = new Upstream({ ...upstream, path }, {
      replay: () => cache.snapshot(),
      refused: (status, reason) => {
        log.warn('ingest buffer: the admin service refused the stream', { ...what, status, reason });
        finish('destroy');
        reply(status, reason || 'refused');
        req.destroy();
      },
    }, log, what);
    live.add(link);

    const splitter = new FlvTagSplitter({
      header: (raw) => {
        cache.setHeader(raw);
        link.write(raw);
      },
      tag: (tag) => {
        cache.add(tag);
        link.write(tag.raw);
      },
    });
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      try {
        splitter.push(chunk);
      } catch (err) {
        log.warn('ingest buffer: not an FLV stream the fast path reads', { ...what, err: (err as Error).message });
        finish('destroy');
        reply(400, (err as Error).message);
        req.destroy();
      }
    });
    req.on('end', () => {
      finish('end');
      reply(200, 'ok');
    });
    req.on('close', () => {
      if (!req.complete) finish('destroy');
    });
  };

  const server = createServer(handle);
  server.on('clientError', (_err, socket) => socket.destroy());
  // The body is endless by design.
  server.requestTimeout = 0;
  server.headersTimeout = 10_000;
  return {
    server,
    stats: () => ({ connections: live.size, links: linksOfEnded + [...live].reduce((n, l) => n + l.links, 0) }),
  };
}
