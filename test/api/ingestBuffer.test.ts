/**
 * The ingest buffer (server/ingestBuffer/) between a recorded encoder stream and a stand-in for
 * the admin service's ingest listener, over real loopback sockets: the bytes go through as they
 * came; when the admin side goes away and comes back, the encoder's connection stays up and the
 * new link starts with what a reader needs (header, metadata with the key, avcC, the group of
 * pictures since the last key frame); the admin's final refusals reach the encoder.
 * The appliance test (test/appliance/faults.test.ts) restarts the real admin service under it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createIngestBuffer, type IngestBuffer } from '../../server/ingestBuffer/server.js';
import { FlvTagSplitter } from '../../server/media/flvTags.js';
import { FlvReader } from '../../server/media/flv.js';
import type { Sample } from '../../server/media/tracks.js';
import { silentLogger } from '../../server/log.js';
import { eventually } from '../support/eventually.js';

const video = readFileSync(new URL('../fixtures/fast-video.flv', import.meta.url));
const ROOM_PATH = '/ingest/abcdefghijklmnopqrstuvwx/video';

/** The fixture cut where FLV cuts it: the header, then each tag (script, avcC, 10 frames). */
function pieces(bytes: Buffer): { header: Buffer; tags: Buffer[] } {
  const out = { header: Buffer.alloc(0), tags: [] as Buffer[] };
  new FlvTagSplitter({ header: (raw) => (out.header = Buffer.from(raw)), tag: (t) => out.tags.push(Buffer.from(t.raw)) }).push(bytes);
  return out;
}

/** Stands in for the admin's ingest listener: keeps each POST's bytes; may answer at once. */
interface Upstream {
  port: number;
  links: Buffer[][];
  close(): Promise<void>;
}
function startUpstream(port = 0, answer?: number): Promise<Upstream> {
  const links: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const link: Buffer[] = [];
    links.push(link);
    if (answer) return void res.writeHead(answer).end('refused\n');
    req.on('data', (c: Buffer) => link.push(c));
    req.on('end', () => res.writeHead(200).end('ok\n'));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        links,
        close: () => new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          if (server.listening) server.close(() => r());
          else r();
        }),
      }),
    ),
  );
}

/** An encoder's endless POST to the buffer. */
function encoder(port: number) {
  const req = request({ host: '127.0.0.1', port, path: ROOM_PATH, method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  req.on('error', () => {});
  return { req, answered };
}

function samplesOf(bytes: Buffer): { key: string | null; tracks: number; samples: Sample[] } {
  const out = { key: null as string | null, tracks: 0, samples: [] as Sample[] };
  new FlvReader({ metadata: (m) => (out.key = m.streamboxKey), setTrack: () => out.tracks++, publish: (s) => out.samples.push(s) }).push(bytes);
  return out;
}

describe('the ingest buffer', () => {
  let buffer: IngestBuffer | null = null;
  let upstream: Upstream | null = null;
  afterEach(async () => {
    await upstream?.close();
    buffer?.server.closeAllConnections();
    await new Promise<void>((r) => (buffer ? buffer.server.close(() => r()) : r()));
    buffer = upstream = null;
  });

  const start = async (up: Upstream) => {
    upstream = up;
    buffer = createIngestBuffer({ upstream: { host: '127.0.0.1', port: up.port }, log: silentLogger });
    await new Promise<void>((r) => buffer!.server.listen(0, '127.0.0.1', r));
    return (buffer.server.address() as AddressInfo).port;
  };

  it('forwards the stream byte for byte while the admin service is there', async () => {
    const port = await start(await startUpstream());
    const enc = encoder(port);
    enc.req.flushHeaders();
    await eventually('the link', () => Promise.resolve(upstream!.links.length), (n) => n === 1, 5000, 20);
    for (let at = 0; at < video.length; at += 700) enc.req.write(video.subarray(at, at + 700));
    enc.req.end();
    expect(await enc.answered).toEqual({ status: 200, body: 'ok\n' });
    await eventually('the upstream POST', () => Promise.resolve(upstream!.links), (l) => l.length === 1 && Buffer.concat(l[0]!).length === video.length);
    expect(Buffer.concat(upstream!.links[0]!).equals(video)).toBe(true);
  });

  it('keeps the encoder connected while the admin service restarts, and starts the new link from the last key frame', async () => {
    const { header, tags } = pieces(video);
    expect(tags).toHaveLength(13); // onMetaData, avcC, 10 frames (key frames at 0 and 500 ms), end of sequence
    const first = await startUpstream();
    const port = await start(first);
    const enc = encoder(port);
    enc.req.flushHeaders();
    await eventually('the link', () => Promise.resolve(first.links.length), (n) => n === 1, 5000, 20);
    enc.req.write(Buffer.concat([header, ...tags.slice(0, 9)])); // up to the frame at 600 ms
    await eventually('the first link', () => Promise.resolve(Buffer.concat(first.links[0] ?? []).length), (n) => n === header.length + Buffer.concat(tags.slice(0, 9)).length);
    await first.close(); // the admin service dies
    enc.req.write(tags[9]!); // 700 ms, while nobody is there
    await new Promise((r) => setTimeout(r, 300));
    upstream = await startUpstream(first.port); // ...and comes back on its port
    await eventually('the second link', () => Promise.resolve(upstream!.links.length), (n) => n === 1, 5000, 50);
    await eventually('the replay', () => Promise.resolve(samplesOf(Buffer.concat(upstream!.links[0]!)).samples.length), (n) => n === 3, 5000, 50);
    enc.req.write(Buffer.concat(tags.slice(10, 12)));
    enc.req.end();
    expect((await enc.answered).status).toBe(200);
    await eventually('the rest', () => Promise.resolve(samplesOf(Buffer.concat(upstream!.links[0]!)).samples.length), (n) => n === 5, 5000, 50);
    const again = samplesOf(Buffer.concat(upstream!.links[0]!));
    expect(again.key).toBe('fixturekey0123456789abcdefghijk');
    expect(again.tracks).toBe(1);
    expect(again.samples.map((s) => [s.time, s.key])).toEqual([[500, true], [600, false], [700, false], [800, false], [900, false]]);
    expect(buffer!.stats()).toEqual({ connections: 0, links: 2 });
  });

  it("passes the admin service's final refusal to the encoder, and ends its connection", async () => {
    const port = await start(await startUpstream(0, 400));
    const enc = encoder(port);
    enc.req.write(video);
    const answer = await enc.answered;
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('refused');
    await eventually('the connection gone', () => Promise.resolve(buffer!.stats().connections), (n) => n === 0);
    expect(upstream!.links).toHaveLength(1); // a refusal is not retried
  });

  it('refuses what is not FLV, and paths that are not an ingest', async () => {
    const port = await start(await startUpstream());
    const enc = encoder(port);
    enc.req.write(Buffer.from('GET / HTTP/1.1 and more than thirteen bytes'));
    expect((await enc.answered).status).toBe(400);
    const res = await fetch(`http://127.0.0.1:${port}/ingest/../etc/passwd`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}${ROOM_PATH}`)).status).toBe(405);
  });
});
