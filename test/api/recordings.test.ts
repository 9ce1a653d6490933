/**
 * Recording over the API, on the in-memory runtime that "records" a real fragmented MP4 (made
 * here by ffmpeg): who may start and stop (the driver and the admin, not a viewer), the 409s
 * (already recording, not live, not recording, still going), a full disk (507, nothing made),
 * the indicator on the room channel (joiners too, and why a recording ended by itself), the
 * list with size, duration and tracks from the file, download with ranges, delete, a recorder
 * that died, and every file gone with its room.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServerType } from '@hono/node-server';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { joinRoom, json, listen, makeTestApp, type Member, type TestApp } from '../support/testApp.js';

let fixtureDir: string;
let fixture: string;

beforeAll(() => {
  fixtureDir = mkdtempSync(join(tmpdir(), 'sbx-rec-fixture-'));
  fixture = join(fixtureDir, 'two-seconds.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=30', '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-c:a', 'aac', '-f', 'mp4', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', fixture]);
});
afterAll(() => rmSync(fixtureDir, { recursive: true, force: true }));

describe('recording a room', () => {
  let t: TestApp;
  let runtime: FakeRuntime;
  let server: ServerType;
  let host: string;
  let admin: string;
  let roomId: string;
  const members: Member[] = [];

  const setup = async (env: Record<string, string> = {}) => {
    runtime = new FakeRuntime();
    runtime.recordingFixture = fixture;
    t = await makeTestApp(runtime, { env });
    ({ server, host } = await listen(t));
    admin = await t.login();
    roomId = (await (await t.app.request('/api/rooms', json({ name: 'R', startUrl: 'https://example.org' }, admin))).json()).id;
  };
  beforeEach(() => setup());
  afterEach(() => {
    for (const m of members.splice(0)) m.ws.close();
    server.close();
    t.close();
  });

  const enter = async (name: string) => {
    const m = await joinRoom(host, roomId, name);
    members.push(m);
    return m;
  };
  const as = (m: Member) => ({ participantId: m.you.id, participantKey: m.you.key });
  const post = (path: string, body: object, cookie?: string) => t.app.request(path, json(body, cookie));
  const list = async () => (await t.app.request(`/api/rooms/${roomId}/recordings`, { headers: { cookie: admin } })).json();
  const dir = () => join(t.dir, 'recordings', roomId);
  const indicator = (m: Member, active: boolean, ended = false) => m.next((msg) => msg.type === 'recording' && msg.active === active && (!ended || msg.reason !== null));

  it('the driver starts, everyone sees the indicator, the driver stops, and the file is listed with size, duration and tracks', async () => {
    const ana = await enter('Ana'); // first in: she drives
    const bo = await enter('Bo');
    await ana.next((m) => m.type === 'state' && m.holder === ana.you.id);
    expect(await indicator(bo, false)).toMatchObject({ startedAt: null, reason: null });

    const started = await post(`/api/rooms/${roomId}/recording/start`, as(ana));
    expect(started.status).toBe(201);
    const { recording } = await started.json();
    expect(recording.id).toMatch(/^\d{8}T\d{6}Z$/);
    expect(runtime.recordings.get(roomId)).toMatchObject({ sourceUrl: `rtmp://127.0.0.1:1935/live/${roomId}`, outputPath: join(dir(), 'current.mp4') });
    expect(await indicator(bo, true)).toMatchObject({ startedAt: recording.startedAt });
    // A joiner is told at once.
    expect(await indicator(await enter('Cy'), true)).toMatchObject({ startedAt: recording.startedAt });

    const again = await post(`/api/rooms/${roomId}/recording/start`, {}, admin);
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('already_recording');

    const during = await list();
    expect(during.recordings).toEqual([expect.objectContaining({ id: recording.id, active: true })]);
    expect(during.recording.active).toBe(true);

    const stopped = await post(`/api/rooms/${roomId}/recording/stop`, as(ana));
    expect(stopped.status).toBe(200);
    expect(await indicator(bo, false)).toMatchObject({ reason: null });
    expect(readdirSync(dir())).toEqual([`${recording.id}.mp4`]);

    const after = await list();
    expect(after.recordings).toHaveLength(1);
    const [rec] = after.recordings;
    expect(rec).toMatchObject({ id: recording.id, active: false, tracks: ['video', 'audio'] });
    expect(rec.bytes).toBeGreaterThan(10_000);
    expect(Math.abs(rec.durationSeconds - 2)).toBeLessThan(0.2);
    expect(after.storage).toMatchObject({ usedBytes: rec.bytes, maxBytes: 20 * 2 ** 30 });

    const again2 = await post(`/api/rooms/${roomId}/recording/stop`, {}, admin);
    expect(again2.status).toBe(409);
    expect((await again2.json()).error.code).toBe('not_recording');
  });

  it('a viewer may not start or stop; a forged key or no key is refused; nothing is made', async () => {
    const ana = await enter('Ana');
    const bo = await enter('Bo');
    await ana.next((m) => m.type === 'state' && m.holder === ana.you.id);
    const viewer = await post(`/api/rooms/${roomId}/recording/start`, as(bo));
    expect(viewer.status).toBe(403);
    expect((await viewer.json()).error.code).toBe('permission_denied');
    const forged = await post(`/api/rooms/${roomId}/recording/start`, { participantId: ana.you.id, participantKey: 'x'.repeat(32) });
    expect(forged.status).toBe(401);
    expect((await forged.json()).error).toMatchObject({ code: 'unknown_participant', field: 'participantKey' });
    expect((await post(`/api/rooms/${roomId}/recording/start`, {})).status).toBe(401);
    const bad = await post(`/api/rooms/${roomId}/recording/start`, { participantId: 'no', extra: 1 });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('invalid_argument');
    expect(runtime.calls.filter((c) => c.startsWith('record'))).toEqual([]);
    expect(existsSync(dir())).toBe(false);

    expect((await post(`/api/rooms/${roomId}/recording/start`, {}, admin)).status).toBe(201);
    expect((await post(`/api/rooms/${roomId}/recording/stop`, as(bo))).status).toBe(403);
    expect(runtime.recordings.has(roomId)).toBe(true);
  });

  it('refuses a room that is not live, and an unknown room', async () => {
    expect((await t.app.request(`/api/rooms/${roomId}/stop`, json({}, admin))).status).toBe(200);
    const res = await post(`/api/rooms/${roomId}/recording/start`, {}, admin);
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('room_not_live');
    expect((await post(`/api/rooms/${'a'.repeat(24)}/recording/start`, {}, admin)).status).toBe(404);
    expect((await post(`/api/rooms/nope/recording/start`, {}, admin)).status).toBe(400);
  });

  it('a recorder that fails to start leaves no file behind', async () => {
    runtime.recordingJobResult = 'failed';
    const res = await post(`/api/rooms/${roomId}/recording/start`, {}, admin);
    expect(res.status).toBe(502);
    expect((await res.json()).error.code).toBe('recorder_failed');
    expect(readdirSync(dir())).toEqual([]);
    expect((await list()).recording.active).toBe(false);
  });

  it('refuses to start with 507 when the recordings reach their cap, and stops one that reaches it', async () => {
    server.close();
    t.close();
    await setup({ STREAMBOX_RECORDINGS_MAX_BYTES: '50000' });
    const ana = await enter('Ana');
    expect((await post(`/api/rooms/${roomId}/recording/start`, {}, admin)).status).toBe(201);
    // The fixture is bigger than the cap: the next check stops it and tells the room why.
    await t.ctx.recordings.check();
    const ended = await indicator(ana, false, true);
    expect(ended.reason).toMatch(/recording stopped: the recordings take .* of the .* they may use/);
    expect(runtime.recordings.has(roomId)).toBe(false);

    const full = await post(`/api/rooms/${roomId}/recording/start`, {}, admin);
    expect(full.status).toBe(507);
    expect((await full.json()).error).toMatchObject({ code: 'recordings_full', message: expect.stringMatching(/delete some first/) });
    expect(readdirSync(dir())).toHaveLength(1); // the stopped one, nothing new
  });

  it('refuses with 507 when the disk would keep less than the free-space floor', async () => {
    server.close();
    t.close();
    await setup({ STREAMBOX_RECORDINGS_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER) });
    const res = await post(`/api/rooms/${roomId}/recording/start`, {}, admin);
    expect(res.status).toBe(507);
    expect((await res.json()).error.message).toMatch(/must stay free/);
    expect(runtime.calls.filter((c) => c.startsWith('record'))).toEqual([]);
  });

  it('a recorder that died ends the recording, keeps the file, and the room is told why', async () => {
    const ana = await enter('Ana');
    const { recording } = await (await post(`/api/rooms/${roomId}/recording/start`, {}, admin)).json();
    runtime.recordings.delete(roomId); // the recorder is gone (crashed, killed)
    await t.ctx.recordings.check();
    expect((await indicator(ana, false, true)).reason).toMatch(/the recorder ended/);
    const { recordings } = await list();
    expect(recordings).toEqual([expect.objectContaining({ id: recording.id, active: false, tracks: ['video', 'audio'] })]);
  });

  it('downloads a recording (whole, and a byte range) and deletes it', async () => {
    await post(`/api/rooms/${roomId}/recording/start`, {}, admin);
    const { recording } = await (await post(`/api/rooms/${roomId}/recording/stop`, {}, admin)).json();
    const url = `/api/rooms/${roomId}/recordings/${recording.id}`;
    expect((await t.app.request(url)).status).toBe(401); // the admin's only
    const whole = await t.app.request(url, { headers: { cookie: admin } });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-disposition')).toBe(`attachment; filename="streambox-${roomId}-${recording.id}.mp4"`);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(bytes.length).toBe(recording.bytes);
    expect(bytes.subarray(4, 8).toString()).toBe('ftyp');
    const part = await t.app.request(url, { headers: { cookie: admin, range: 'bytes=4-7' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-7/${recording.bytes}`);
    expect(await part.text()).toBe('ftyp');
    expect((await t.app.request(url, { headers: { cookie: admin, range: `bytes=${recording.bytes}-` } })).status).toBe(416);
    expect((await t.app.request(`/api/rooms/${roomId}/recordings/..%2Fx`, { headers: { cookie: admin } })).status).toBe(400);

    expect((await t.app.request(url, { method: 'DELETE', headers: { cookie: admin } })).status).toBe(204);
    expect(readdirSync(dir())).toEqual([]);
    expect((await t.app.request(url, { method: 'DELETE', headers: { cookie: admin } })).status).toBe(404);
  });

  it('a recording still going cannot be deleted; deleting the room stops it and removes every file', async () => {
    await post(`/api/rooms/${roomId}/recording/start`, {}, admin);
    await post(`/api/rooms/${roomId}/recording/stop`, {}, admin);
    t.clock.now += 5000;
    const { recording } = await (await post(`/api/rooms/${roomId}/recording/start`, {}, admin)).json();
    const del = await t.app.request(`/api/rooms/${roomId}/recordings/${recording.id}`, { method: 'DELETE', headers: { cookie: admin } });
    expect(del.status).toBe(409);
    expect((await del.json()).error.code).toBe('recording_active');
    expect(readdirSync(dir())).toHaveLength(2);

    expect((await t.app.request(`/api/rooms/${roomId}`, { method: 'DELETE', headers: { cookie: admin } })).status).toBe(204);
    expect(existsSync(dir())).toBe(false);
    expect(runtime.recordings.has(roomId)).toBe(false);
    expect((await t.app.request(`/api/rooms/${roomId}/recordings`, { headers: { cookie: admin } })).status).toBe(404);
  });
});
