/**
 * Admission by capacity through the API: CreateRoom and StartRoom refused with 409 when the host's
 * budget is taken (nothing made: no row, no start), GET /api/capacity answering the same rule.
 * The budget here is what a 2-core host gets (1.8 cores): two 1080p30 rooms.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { json, makeTestApp, type TestApp } from '../support/testApp.js';

const ROOM = { name: 'Movie night', startUrl: 'https://example.org/watch' };

describe('admission by capacity', () => {
  let runtime: FakeRuntime;
  let t: TestApp;
  let cookie: string;

  beforeEach(async () => {
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime, { env: { STREAMBOX_CAPACITY_CORES: '1.8' } });
    cookie = await t.login();
  });
  afterEach(() => t.close());

  const create = (body: object = ROOM) => t.app.request('/api/rooms', json(body, cookie));
  const capacity = (query = '') => t.app.request(`/api/capacity${query}`, { headers: { cookie } });
  const rows = () => (t.db.prepare('SELECT count(*) AS n FROM rooms').get() as { n: number }).n;

  it('refuses the third 1080p30 room with a clear 409, and makes nothing for it', async () => {
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    const res = await create({ ...ROOM, name: 'One too many' });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: { code: 'capacity_exceeded', message: 'this host runs 2 of 2 1920x1080 30 fps rooms; stop a room first' } });
    expect(rows()).toBe(2);
    expect(runtime.calls.filter((c) => c.startsWith('start'))).toHaveLength(2);
    const list = (await (await t.app.request('/api/rooms', { headers: { cookie } })).json()) as { rooms: Array<{ name: string }> };
    expect(list.rooms.map((r) => r.name)).not.toContain('One too many');
  });

  it('admits a smaller room beside a big one, and says which size would still fit', async () => {
    expect((await create()).status).toBe(201);
    expect((await create({ ...ROOM, width: 1280, height: 720, fps: 15 })).status).toBe(201);
    const res = await create({ ...ROOM, width: 1280, height: 720 });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "this host's 2 running rooms use 1.28 of the 1.80 cores rooms may take, and a 1280x720 30 fps room needs 0.55; stop one or choose 1280x720 15 fps",
    );
    expect((await create({ ...ROOM, width: 1280, height: 720, fps: 15 })).status).toBe(201);
  });

  it('counts only rooms that should run: a stopped room frees its place, and starting it again is checked', async () => {
    const a = (await (await create()).json()) as { id: string };
    expect((await create()).status).toBe(201);
    expect((await t.app.request(`/api/rooms/${a.id}/stop`, json({}, cookie))).status).toBe(200);
    expect((await create()).status).toBe(201);
    runtime.calls.length = 0;
    const res = await t.app.request(`/api/rooms/${a.id}/start`, json({}, cookie));
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('capacity_exceeded');
    expect(runtime.calls).toEqual([]);
    const room = (await (await t.app.request(`/api/rooms/${a.id}`, { headers: { cookie } })).json()) as { status: { desiredState: string } };
    expect(room.status.desiredState).toBe('stopped');
  });

  it('lets a running room be started again (a restart after a failure takes no new place)', async () => {
    const a = (await (await create()).json()) as { id: string };
    expect((await create()).status).toBe(201);
    expect((await t.app.request(`/api/rooms/${a.id}/start`, json({}, cookie))).status).toBe(200);
  });

  it('admits exactly what fits when many CreateRooms arrive at once', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => create({ ...ROOM, name: `Rush ${i}` })));
    const codes = results.map((r) => r.status).sort();
    expect(codes).toEqual([201, 201, 409, 409, 409, 409]);
    expect(rows()).toBe(2);
  });

  it('GET /api/capacity answers before anyone submits', async () => {
    let a = (await (await capacity()).json()) as Record<string, unknown>;
    expect(a).toEqual({ shape: '1920x1080 30 fps', admitted: true, message: '', usedCores: 0, budgetCores: 1.8, roomCores: 0.84, roomsThatFit: 2 });
    await create();
    await create();
    a = (await (await capacity('?width=1920&height=1080&fps=30')).json()) as Record<string, unknown>;
    expect(a).toMatchObject({ admitted: false, roomsThatFit: 0, usedCores: 1.69, message: 'this host runs 2 of 2 1920x1080 30 fps rooms; stop a room first' });
  });

  it('GET /api/capacity names a bad field and is for the admin only', async () => {
    const bad = await capacity('?width=abc');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/^width: /) });
    expect((await capacity('?fps=500')).status).toBe(400);
    expect((await t.app.request('/api/capacity')).status).toBe(401);
  });
});

describe('admission turned off', () => {
  it('STREAMBOX_CAPACITY_CORES=0 admits every room and says there is no limit', async () => {
    const t = await makeTestApp(new FakeRuntime(), { env: { STREAMBOX_CAPACITY_CORES: '0' } });
    try {
      const cookie = await t.login();
      for (let i = 0; i < 4; i++) expect((await t.app.request('/api/rooms', json(ROOM, cookie))).status).toBe(201);
      const a = (await (await t.app.request('/api/capacity', { headers: { cookie } })).json()) as Record<string, unknown>;
      expect(a).toMatchObject({ admitted: true, budgetCores: null, roomsThatFit: null });
    } finally {
      t.close();
    }
  });
});
