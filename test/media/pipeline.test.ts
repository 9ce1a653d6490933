/**
 * The fast path's server side with a real encoder: ffmpeg (the room unit's output settings, with
 * test-pattern inputs instead of a display and a sound card) POSTs one FLV stream per track to
 * the real ingest listener; the real relay fans them out to real WebSocket viewers through the app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { WebSocket } from 'ws';
import type { ServerType } from '@hono/node-server';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { cookieFrom, json, listen, makeTestApp, type TestApp } from '../support/testApp.js';
import { requireTools } from '../harness/container.js';
import { createIngestServer, ingestUrl } from '../../server/media/ingestServer.js';
import { silentLogger } from '../../server/log.js';
import { FlvReader } from '../../server/media/flv.js';
import type { Sample, TrackInfo } from '../../server/media/tracks.js';
import { HIGH_WATER_BYTES } from '../../server/media/relay.js';
import { CLOSE_ROOM_GONE, CLOSE_SEATS_FULL, TRACK_AUDIO, TRACK_VIDEO } from '../../server/media/wire.js';

/** The encoder's output half, as in units/ffmpeg@.service (GOP of 15 = 0.5 s at 30 fps). */
function encoderArgs(input: string[], relayBase: string, opts: { bitrate?: string; realtime?: boolean; seconds: number; key?: string }): string[] {
  const bitrate = opts.bitrate ?? '2M';
  // The unit loads the key from a credential file (-/metadata); here argv is fine.
  const key = opts.key === undefined ? [] : ['-metadata', `streambox_key=${opts.key}`];
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error'],
    ...(opts.realtime === false ? [] : ['-re']),
    ...input,
    ...['-f', 'lavfi', '-i', 'sine=f=440:sample_rate=48000', '-map', '0:v', '-map', '1:a'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p'],
    ...['-g', '15', '-keyint_min', '15', '-sc_threshold', '0', '-b:v', bitrate, '-maxrate', bitrate, '-bufsize', bitrate],
    ...['-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2'],
    ...['-flags', '+global_header', '-avoid_negative_ts', 'make_zero', '-flush_packets', '1', '-t', String(opts.seconds)],
    ...key,
    ...['-f', 'tee', `[f=null]-|[f=flv:select=v]${relayBase}video|[f=flv:select=a]${relayBase}audio`],
  ];
}
const TEST_PATTERN = ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30'];
/** Noise barely compresses: a stream fast enough to back up a socket that nobody reads. */
const NOISE = ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30,noise=alls=100:allf=t'];

/** Every encoder a test started, so that afterAll stops them even after a failure. */
const started: ChildProcess[] = [];

function runEncoder(args: string[]): ChildProcess {
  const p = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(p);
  return p;
}

function stopEncoder(p: ChildProcess | null): Promise<void> {
  if (!p || p.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

interface Received {
  init: { video: { codec: string; codedWidth: number }; audio: { codec: string } | null } | null;
  frames: { track: number; key: boolean; t: number; lagMs: number; at: number }[];
  closed: { code: number } | null;
}

function viewer(url: string, opts: { cookie?: string } = {}): { ws: WebSocket; got: Received } {
  const ws = new WebSocket(url, { headers: opts.cookie ? { cookie: opts.cookie } : {} });
  const got: Received = { init: null, frames: [], closed: null };
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'init') got.init = msg;
      return;
    }
    got.frames.push({ track: data[0]!, key: data[1] === 1, t: data.readDoubleBE(4), lagMs: Date.now() - data.readDoubleBE(12), at: Date.now() });
  });
  ws.on('close', (code) => (got.closed = { code }));
  return { ws, got };
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function post(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end('junk');
  });
}

describe('fast path: encoder -> ingest -> relay -> viewers', () => {
  let t: TestApp;
  let web: { server: ServerType; host: string };
  let ingest: Server;
  let ingestPort = 0;
  let roomId = '';
  let encoder: ChildProcess | null = null;

  beforeAll(async () => {
    requireTools('The media pipeline tests', ['ffmpeg'], 'ffmpeg');
    t = await makeTestApp(new FakeRuntime(), { env: { STREAMBOX_FAST_PATH_SEATS: '3' } });
    web = await listen(t);
    t.ctx.media.start();
    ingest = createIngestServer(t.ctx.media, silentLogger);
    await new Promise<void>((r) => ingest.listen(0, '127.0.0.1', r));
    ingestPort = (ingest.address() as AddressInfo).port;
    const cookie = await t.login();
    const res = await t.app.request('/api/rooms', json({ name: 'Media', startUrl: 'https://example.org' }, cookie));
    roomId = ((await res.json()) as { id: string }).id;
    expect(res.status).toBe(201);
  });

  afterAll(async () => {
    await Promise.all(started.map(stopEncoder));
    t?.ctx.media.stop();
    ingest?.close();
    web?.server.close();
    t?.close();
  });

  const relayUrl = () => ingestUrl('127.0.0.1', ingestPort, roomId);
  const key = () => t.ctx.media.ingestKey(roomId);
  const mediaUrl = () => `ws://${web.host}/api/rooms/${roomId}/media`;

  it('parses what the encoder writes: codecs from the sequence headers, a key frame every 15 frames', async () => {
    // Write the two track streams to files (no relay) to check the reader against real output.
    const dir = mkdtempSync(join(tmpdir(), 'sbx-flv-'));
    try {
      const p = runEncoder(encoderArgs(TEST_PATTERN, `${dir}/`, { realtime: false, seconds: 2 }));
      await new Promise((r) => p.once('exit', r));
      const read = (file: string) => {
        const got: { tracks: TrackInfo[]; samples: Sample[] } = { tracks: [], samples: [] };
        const reader = new FlvReader({ setTrack: (t) => got.tracks.push(t), publish: (s) => got.samples.push(s) });
        const bytes = readFileSync(join(dir, file));
        // Odd chunk sizes: a tag may be split anywhere.
        for (let i = 0; i < bytes.length; i += 777) reader.push(bytes.subarray(i, i + 777));
        return got;
      };
      const video = read('video');
      const audio = read('audio');
      expect(video.tracks).toEqual([expect.objectContaining({ kind: 'video', codec: expect.stringMatching(/^avc1\.42c0[0-9a-f]{2}$/), width: 640, height: 360 })]);
      expect(audio.tracks).toEqual([expect.objectContaining({ kind: 'audio', codec: 'mp4a.40.2', sampleRate: 48000, channels: 2 })]);
      const frames = video.samples;
      expect(frames.length).toBeGreaterThanOrEqual(58);
      frames.forEach((s, i) => expect(s.key).toBe(i % 15 === 0));
      // AVC format: each frame is 4-byte-length-prefixed NAL units; the key frame has an IDR slice (type 5).
      const nalTypes: number[] = [];
      for (let at = 0; at < frames[0]!.data.length; at += 4 + frames[0]!.data.readUInt32BE(at)) nalTypes.push(frames[0]!.data[at + 4]! & 0x1f);
      expect(nalTypes).toContain(5);
      for (let i = 1; i < frames.length; i++) expect(frames[i]!.time).toBeGreaterThan(frames[i - 1]!.time);
      expect(audio.samples.length).toBeGreaterThan(80);
      expect(audio.samples.every((s) => s.kind === 'audio')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an encoder with the wrong key or none, and leaves nothing behind', async () => {
    // Real encoders, their key in the stream's onMetaData: wrong, then missing. Neither reaches the relay.
    for (const wrong of [{ key: 'x'.repeat(32) }, {}]) {
      const p = runEncoder(encoderArgs(TEST_PATTERN, relayUrl(), { seconds: 2, ...wrong }));
      await new Promise((r) => p.once('exit', r));
      expect(t.ctx.media.stats(roomId)).toBeNull();
    }
    expect(await post(`${relayUrl()}video`)).toBe(400); // not FLV
    expect(await post(`${relayUrl()}subtitles`)).toBe(404);
    const gone = 'aaaaaaaaaaaaaaaaaaaaaaaa'; // a well-formed ID, but no such room
    expect(await post(`${ingestUrl('127.0.0.1', ingestPort, gone)}video`)).toBe(404);
    expect(await post(`http://127.0.0.1:${ingestPort}/elsewhere`)).toBe(404);
    expect(t.ctx.media.stats(roomId)).toBeNull();
  });

  it('lets viewers in only where the room page would: password rooms need their cookie', async () => {
    const cookie = await t.login();
    const locked = (await (await t.app.request('/api/rooms', json({ name: 'Locked', startUrl: 'https://example.org', password: 'open sesame' }, cookie))).json()) as { id: string };
    const status = (url: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.once('open', () => (ws.close(), resolve(101)));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(-1));
      });
    expect(await status(`ws://${web.host}/api/rooms/${locked.id}/media`)).toBe(401);
    expect(await status(`ws://${web.host}/api/rooms/${locked.id}/media`, { cookie })).toBe(101); // the admin
    const join = await t.app.request(`/api/rooms/${locked.id}/join`, json({ password: 'open sesame' }));
    expect(await status(`ws://${web.host}/api/rooms/${locked.id}/media`, { cookie: cookieFrom(join) })).toBe(101);
    expect(await status(`ws://${web.host}/api/rooms/aaaaaaaaaaaaaaaaaaaaaaaa/media`)).toBe(404);
    expect(await status(`ws://${web.host}/api/rooms/NOT-AN-ID/media`)).toBe(400);
  });

  it('relays the stream to viewers near live, from a key frame, with the decoder setup first', async () => {
    encoder = runEncoder(encoderArgs(TEST_PATTERN, relayUrl(), { seconds: 30, key: key() }));
    const a = viewer(mediaUrl());
    await until('frames for the first viewer', () => a.got.frames.length > 60);
    expect(a.got.init).toMatchObject({ video: { codec: expect.stringMatching(/^avc1\./), codedWidth: 640 }, audio: { codec: 'mp4a.40.2' } });
    expect(a.got.frames.find((f) => f.track === TRACK_VIDEO)).toMatchObject({ key: true });
    // A late joiner starts at the last key frame: its first frame is a key frame, and it gets a picture at once.
    const b = viewer(mediaUrl());
    await until('frames for the late joiner', () => b.got.frames.length > 0);
    expect(b.got.frames[0]).toMatchObject({ track: TRACK_VIDEO, key: true });
    await until('a second of frames', () => a.got.frames.filter((f) => f.track === TRACK_VIDEO).length > 90);
    expect(a.got.frames.some((f) => f.track === TRACK_AUDIO)).toBe(true);
    // Relay -> viewer on loopback: the frames arrive as they are received (a generous bound).
    const lags = a.got.frames.slice(-60).map((f) => f.lagMs).sort((x, y) => x - y);
    expect(lags[Math.floor(lags.length / 2)]!).toBeLessThan(50);
    a.ws.close();
    b.ws.close();
    await stopEncoder(encoder);
  });

  it('gives seats to the first viewers and tells the next one to use HLS', async () => {
    const seated = [viewer(mediaUrl()), viewer(mediaUrl()), viewer(mediaUrl())];
    for (const s of seated) await new Promise((r) => s.ws.once('open', r));
    const extra = viewer(mediaUrl());
    await until('the extra viewer to be turned away', () => extra.got.closed !== null);
    expect(extra.got.closed!.code).toBe(CLOSE_SEATS_FULL);
    for (const s of seated) s.ws.close();
    await until('seats to free', () => (t.ctx.media.stats(roomId)?.viewers ?? 0) === 0);
  });

  it('a viewer that stops reading does not delay another; it is cut off and resumes live', async () => {
    encoder = runEncoder(encoderArgs(NOISE, relayUrl(), { bitrate: '20M', seconds: 40, key: key() }));
    const healthy = viewer(mediaUrl());
    const stalled = viewer(mediaUrl());
    await until('both viewers receive', () => healthy.got.frames.length > 30 && stalled.got.frames.length > 30);
    // Stop reading: the kernel's buffers fill, then the server's send buffer.
    const socket = (stalled.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    await until('the relay to cut the stalled viewer off', () => (t.ctx.media.stats(roomId)?.resyncs ?? 0) > 0, 30_000);
    const serverSide = [...(t.ctx.media as unknown as { viewers: Map<string, Map<WebSocket, unknown>> }).viewers.get(roomId)!.keys()];
    const backlog = Math.max(...serverSide.map((ws) => ws.bufferedAmount));
    // Bounded: the high-water mark plus at most a frame or two, never the whole stream.
    expect(backlog).toBeLessThan(HIGH_WATER_BYTES + 1024 * 1024);
    // Meanwhile the healthy viewer stayed live.
    const recent = healthy.got.frames.filter((f) => f.at > Date.now() - 2000).map((f) => f.lagMs).sort((x, y) => x - y);
    expect(recent.length).toBeGreaterThan(20);
    expect(recent[Math.floor(recent.length / 2)]!).toBeLessThan(100);
    // Reading again, the stalled viewer drains its backlog, then gets live frames from a key frame.
    const resumedAt = Date.now();
    socket.resume();
    await until('live frames for the resumed viewer', () => stalled.got.frames.some((f) => f.at > resumedAt && f.lagMs < 150), 15_000);
    const afterGap = stalled.got.frames.filter((f) => f.at > resumedAt);
    const firstLive = afterGap.find((f) => f.lagMs < 150)!;
    const idx = afterGap.indexOf(firstLive);
    // Somewhere between the stale backlog and live frames, it restarted at a key frame.
    expect(afterGap.slice(0, idx + 1).some((f) => f.track === TRACK_VIDEO && f.key) || firstLive.key).toBe(true);
    healthy.ws.close();
    stalled.ws.close();
    await stopEncoder(encoder);
  }, 90_000);

  it('deleting the room closes its viewers with the code the page knows', async () => {
    const cookie = await t.login();
    const other = (await (await t.app.request('/api/rooms', json({ name: 'Short-lived', startUrl: 'https://example.org' }, cookie))).json()) as { id: string };
    const v = viewer(`ws://${web.host}/api/rooms/${other.id}/media`);
    await new Promise((r) => v.ws.once('open', r));
    expect((await t.app.request(`/api/rooms/${other.id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
    await until('the viewer to be closed', () => v.got.closed !== null);
    expect(v.got.closed!.code).toBe(CLOSE_ROOM_GONE);
    expect(t.ctx.media.stats(other.id)).toBeNull();
  });

  it('a viewer whose client vanished without closing is dropped within seconds', async () => {
    const ghost = viewer(mediaUrl());
    await new Promise((r) => ghost.ws.once('open', r));
    await until('the viewer to be seated', () => (t.ctx.media.stats(roomId)?.viewers ?? 0) === 1);
    // No close frame, and pings go unread so no pong comes: as if the browser's machine dropped off the network.
    (ghost.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
    const start = Date.now();
    await until('the server to drop the ghost', () => (t.ctx.media.stats(roomId)?.viewers ?? 0) === 0, 15_000);
    expect(Date.now() - start).toBeLessThan(10_000);
    ghost.ws.terminate();
  }, 20_000);
});
