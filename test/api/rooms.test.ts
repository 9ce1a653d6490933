import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { json, makeTestApp, type TestApp } from '../support/testApp.js';

const VALID = { name: 'Movie night', startUrl: 'https://example.org/watch' };
const UNKNOWN_ID = 'aaaaaaaaaaaaaaaaaaaaaaaa';

describe('DashboardService: rooms', () => {
  let runtime: FakeRuntime;
  let t: TestApp;
  let cookie: string;

  beforeEach(async () => {
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime);
    cookie = await t.login();
  });
  afterEach(() => t.close());

  const create = (body: unknown) => t.app.request('/api/rooms', json(body, cookie));

  it('creates a room with defaults and returns the full room', async () => {
    const res = await create(VALID);
    expect(res.status).toBe(201);
    const room = await res.json();
    expect(room.id).toMatch(/^[a-z2-7]{24}$/);
    expect(res.headers.get('location')).toBe(`/api/rooms/${room.id}`);
    expect(room.name).toBe('Movie night');
    expect(room.config).toEqual({ width: 1920, height: 1080, fps: 30, videoBitrateKbps: 4000, startUrl: 'https://example.org/watch', urlAllowlist: null, clipboard: 'driver', keepLogins: false, idleStopMinutes: null, maxDurationMinutes: null, hasPassword: false });
    expect(room.session).toEqual({ idleStopMinutes: 30, maxDurationMinutes: 0, startedAt: '2026-11-26T10:00:00.000Z', endsAt: null });
    expect(room.status.stopReason).toBeNull();
    expect(room.shareUrl).toBe(`http://localhost/rooms/${room.id}`);
    expect(room.roomServiceUrl).toBe(`http://localhost/api/rooms/${room.id}`);
    expect(room.vncUrl).toBe(`ws://localhost/api/rooms/${room.id}/vnc`);
    expect(room.stream.rtmp).toBe(`rtmp://localhost:1935/live/${room.id}`);
    // The fast path first (same origin, the WebSocket scheme), then HLS for the audience.
    expect(room.stream.web).toEqual([
      { kind: 'fast', url: `ws://localhost/api/rooms/${room.id}/media`, mimeType: 'application/x-streambox-frames' },
      { kind: 'hls', url: `http://localhost/hls/${room.id}.m3u8`, mimeType: 'application/x-mpegURL' },
    ]);
    expect(room.status.state).toBe('live');
    expect(room.status.desiredState).toBe('running');
    expect(room.people).toEqual({ participants: 0, holder: null });
    expect(Object.keys(room.status.members)).toEqual(['display', 'audio', 'browser', 'input', 'stream']);
    expect(Date.parse(room.createdAt)).not.toBeNaN();
    expect(runtime.calls).toEqual([`start ${room.id}`]);
    const spec = runtime.specs.get(room.id)!;
    expect(spec).toMatchObject({ id: room.id, display: 10, width: 1920, height: 1080, fps: 30, startUrl: 'https://example.org/watch' });
    expect(spec.vncPassword.length).toBeGreaterThanOrEqual(8);
  });

  it('takes custom settings and gives each room its own display', async () => {
    const a = await (await create({ ...VALID, width: 1280, height: 720, fps: 60, videoBitrateKbps: 2500, password: 'hunter22' })).json();
    const b = await (await create(VALID)).json();
    expect(a.config).toMatchObject({ width: 1280, height: 720, fps: 60, videoBitrateKbps: 2500, hasPassword: true });
    expect(JSON.stringify(a)).not.toContain('hunter22');
    expect(runtime.specs.get(a.id)!.display).toBe(10);
    expect(runtime.specs.get(b.id)!.display).toBe(11);
    expect(a.id).not.toBe(b.id);
  });

  it('uses the forwarded host and https for links behind a proxy', async () => {
    const res = await t.app.request('/api/rooms', { ...json(VALID, cookie), headers: { 'content-type': 'application/json', cookie, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'rooms.example.net' } });
    const room = await res.json();
    expect(room.shareUrl).toBe(`https://rooms.example.net/rooms/${room.id}`);
    expect(room.vncUrl).toBe(`wss://rooms.example.net/api/rooms/${room.id}/vnc`);
    expect(room.stream.rtmp).toBe(`rtmp://rooms.example.net:1935/live/${room.id}`);
  });

  const badInputs: Array<[string, unknown, string]> = [
    ['missing name', { startUrl: 'https://example.org' }, 'name'],
    ['empty name', { ...VALID, name: '   ' }, 'name'],
    ['name of the wrong type', { ...VALID, name: 42 }, 'name'],
    ['oversized name', { ...VALID, name: 'x'.repeat(81) }, 'name'],
    ['missing start URL', { name: 'x' }, 'startUrl'],
    ['start URL that is not a URL', { ...VALID, startUrl: 'not a url' }, 'startUrl'],
    ['relative start URL', { ...VALID, startUrl: '/watch' }, 'startUrl'],
    ['ftp start URL', { ...VALID, startUrl: 'ftp://example.org/' }, 'startUrl'],
    ['javascript start URL', { ...VALID, startUrl: 'javascript:alert(1)' }, 'startUrl'],
    ['file start URL', { ...VALID, startUrl: 'file:///etc/passwd' }, 'startUrl'],
    ['oversized start URL', { ...VALID, startUrl: `https://example.org/${'a'.repeat(2100)}` }, 'startUrl'],
    ['fps as a string', { ...VALID, fps: '30' }, 'fps'],
    ['fps of 0', { ...VALID, fps: 0 }, 'fps'],
    ['fps of 61', { ...VALID, fps: 61 }, 'fps'],
    ['fractional fps', { ...VALID, fps: 29.97 }, 'fps'],
    ['odd width', { ...VALID, width: 1921 }, 'width'],
    ['tiny height', { ...VALID, height: 100 }, 'height'],
    ['huge width', { ...VALID, width: 8000 }, 'width'],
    ['bitrate too low', { ...VALID, videoBitrateKbps: 10 }, 'videoBitrateKbps'],
    ['short password', { ...VALID, password: 'abc' }, 'password'],
    ['password of the wrong type', { ...VALID, password: 1234 }, 'password'],
    ['unknown field', { ...VALID, colour: 'blue' }, 'colour'],
    ['an array instead of an object', [VALID], 'body'],
  ];
  it.each(badInputs)('rejects %s with 400 naming the field', async (_, body, field) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error.code).toBe('invalid_argument');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field === 'body' ? 'body' : field);
    expect(runtime.calls).toEqual([]); // nothing half-made
    expect((await (await t.app.request('/api/rooms', { headers: { cookie } })).json()).rooms).toEqual([]);
  });

  it('rejects a body that is not JSON', async () => {
    const res = await t.app.request('/api/rooms', { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: '{"name": ' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_argument', field: 'body' });
  });

  it('rejects an oversized body with 413', async () => {
    const res = await create({ ...VALID, name: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
    expect(runtime.calls).toEqual([]);
  });

  it('keeps a room whose start failed, with the failure visible', async () => {
    runtime.startJobResult = 'dependency';
    const res = await create(VALID);
    expect(res.status).toBe(201);
    const room = await res.json();
    runtime.startJobResult = null;
    expect(room.status.state).toBe('failed');
    expect(room.status.failure).toMatchObject({ unit: `room@${room.id}.target` });
    expect(room.status.failure.reason).toContain('dependency');
    const list = await (await t.app.request('/api/rooms', { headers: { cookie } })).json();
    expect(list.rooms.map((r: { id: string }) => r.id)).toEqual([room.id]);
  });

  it('names the member that failed', async () => {
    runtime.failingRoles.add('browser');
    const room = await (await create(VALID)).json();
    expect(room.status.state).toBe('failed');
    expect(room.status.failure).toMatchObject({ role: 'browser', unit: `browser@${room.id}.service`, reason: 'exited with an error' });
    expect(room.status.members.browser.state).toBe('failed');
    expect(room.status.members.display.state).toBe('live');
  });

  it('lists, shows and deletes rooms; a second delete is 404', async () => {
    const a = await (await create(VALID)).json();
    const b = await (await create({ ...VALID, name: 'Second' })).json();
    const list = await (await t.app.request('/api/rooms', { headers: { cookie } })).json();
    expect(list.rooms.map((r: { name: string }) => r.name)).toEqual(['Movie night', 'Second']);
    const shown = await t.app.request(`/api/rooms/${a.id}`, { headers: { cookie } });
    expect(shown.status).toBe(200);
    expect((await shown.json()).id).toBe(a.id);

    const del = await t.app.request(`/api/rooms/${a.id}`, { method: 'DELETE', headers: { cookie } });
    expect(del.status).toBe(204);
    expect(runtime.calls.slice(-2)).toEqual([`stop ${a.id}`, `remove ${a.id}`]);
    const again = await t.app.request(`/api/rooms/${a.id}`, { method: 'DELETE', headers: { cookie } });
    expect(again.status).toBe(404);
    expect((await again.json()).error.code).toBe('not_found');
    const after = await (await t.app.request('/api/rooms', { headers: { cookie } })).json();
    expect(after.rooms.map((r: { id: string }) => r.id)).toEqual([b.id]);
  });

  it('answers 400 for a malformed ID and 404 for an unknown one', async () => {
    for (const bad of ['short', 'AAAAAAAAAAAAAAAAAAAAAAAA', 'aaaaaaaaaaaaaaaaaaaaaaa1', '../../etc/passwd']) {
      const res = await t.app.request(`/api/rooms/${encodeURIComponent(bad)}`, { headers: { cookie } });
      expect(res.status, bad).toBe(400);
      expect((await res.json()).error.field).toBe('id');
    }
    for (const method of ['GET', 'DELETE']) {
      const res = await t.app.request(`/api/rooms/${UNKNOWN_ID}`, { method, headers: { cookie } });
      expect(res.status, method).toBe(404);
    }
  });

  it('keeps the room when systemd cannot be reached during delete, and finishes on retry', async () => {
    const room = await (await create(VALID)).json();
    runtime.available = false;
    const failed = await t.app.request(`/api/rooms/${room.id}`, { method: 'DELETE', headers: { cookie } });
    expect(failed.status).toBe(503);
    expect((await failed.json()).error.code).toBe('unavailable');
    const during = await (await t.app.request(`/api/rooms/${room.id}`, { headers: { cookie } })).json();
    expect(during.status.state).toBe('deleting');
    runtime.available = true;
    expect((await t.app.request(`/api/rooms/${room.id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
    expect(runtime.specs.has(room.id)).toBe(false);
  });

  it('stops and starts a room; a stopped room cannot hand out VNC tokens (409)', async () => {
    const room = await (await create(VALID)).json();
    const stopped = await (await t.app.request(`/api/rooms/${room.id}/stop`, { method: 'POST', headers: { cookie } })).json();
    expect(stopped.status).toMatchObject({ state: 'stopped', desiredState: 'stopped' });
    const token = await t.app.request(`/api/rooms/${room.id}/vnc-token`, json({ participantId: 'abcdefgh', participantKey: 'k'.repeat(32) }, cookie));
    expect(token.status).toBe(409);
    expect((await token.json()).error.code).toBe('conflict');
    const started = await (await t.app.request(`/api/rooms/${room.id}/start`, { method: 'POST', headers: { cookie } })).json();
    expect(started.status.state).toBe('live');
  });
});
