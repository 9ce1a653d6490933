/**
 * Idle stop and time limits through the API (real SQLite, real WebSockets, the in-memory
 * runtime, the test's clock): the CreateRoom fields, an empty room stopped with reason 'idle', the
 * wake a visitor may or may not do, the time-limit warning and stop, the admin's extension, and
 * the reasons surviving a restart of the admin service on the same database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { cookieFrom, joinRoom, json, listen, makeTestApp, type Member, type TestApp } from '../support/testApp.js';

const MIN = 60_000;
const ROOM = { name: 'Movie night', startUrl: 'https://example.org/watch' };
/** Until the channel's leave is seen by the server (its close handshake). */
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('idle stop and time limits', () => {
  let runtime: FakeRuntime;
  let t: TestApp;
  let cookie: string;
  let server: ServerType | null = null;
  let host = '';
  const members: Member[] = [];

  beforeEach(async () => {
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime);
    cookie = await t.login();
  });
  afterEach(() => {
    for (const m of members.splice(0)) m.ws.close();
    server?.close();
    server = null;
    t.close();
  });

  const create = async (body: object) => {
    const res = await t.app.request('/api/rooms', json({ ...ROOM, ...body }, cookie));
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string };
  };
  const get = async (id: string) => (await (await t.app.request(`/api/rooms/${id}`, { headers: { cookie } })).json()) as { status: { state: string; stopReason: string | null }; session: { idleStopMinutes: number; maxDurationMinutes: number; startedAt: string | null; endsAt: string | null } };
  const wake = (id: string, headers: Record<string, string> = {}) => t.app.request(`/api/rooms/${id}/wake`, { method: 'POST', headers });
  const advance = async (ms: number) => {
    t.clock.now += ms;
    await t.ctx.sessions.tick();
  };
  const enter = async (id: string, name: string, c?: string) => {
    if (!server) ({ server, host } = await listen(t));
    const m = await joinRoom(host, id, name, c);
    members.push(m);
    return m;
  };

  it('validates the fields, naming them, and makes nothing for a bad request', async () => {
    for (const [field, value, message] of [
      ['idleStopMinutes', 'soon', /must be a number of minutes/],
      ['idleStopMinutes', 0.1, /must be 0 \(never\) or from 0.25 to 10080 minutes/],
      ['maxDurationMinutes', -1, /must be 0 \(never\) or from 0.25/],
      ['maxDurationMinutes', 20_000, /to 10080 minutes/],
    ] as const) {
      const res = await t.app.request('/api/rooms', json({ ...ROOM, [field]: value }, cookie));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; field: string } };
      expect(body.error.field).toBe(field);
      expect(body.error.message).toMatch(message);
    }
    expect(runtime.calls).toEqual([]);
    expect((t.db.prepare('SELECT count(*) AS n FROM rooms').get() as { n: number }).n).toBe(0);
    const room = await create({ idleStopMinutes: 0.5, maxDurationMinutes: 0 });
    expect((await get(room.id)).session).toMatchObject({ idleStopMinutes: 0.5, maxDurationMinutes: 0, endsAt: null });
  });

  it('stops an empty room after its idle time with reason idle, not while someone is in it', async () => {
    const room = await create({ idleStopMinutes: 1 });
    await t.ctx.sessions.tick(); // the room is seen: its idle clock starts
    const ana = await enter(room.id, 'Ana');
    await advance(5 * MIN);
    expect(runtime.running.has(room.id)).toBe(true);
    ana.ws.close();
    await settle();
    await advance(MIN - 1000);
    expect(runtime.running.has(room.id)).toBe(true);
    await advance(1000);
    expect(runtime.running.has(room.id)).toBe(false);
    expect(runtime.calls).toContain(`stop ${room.id}`);
    expect((await get(room.id)).status).toMatchObject({ state: 'stopped', desiredState: 'stopped', stopReason: 'idle' });
    // An admin's stop says so.
    const other = await create({ idleStopMinutes: 0 });
    await t.app.request(`/api/rooms/${other.id}/stop`, { method: 'POST', headers: { cookie } });
    expect((await get(other.id)).status.stopReason).toBe('admin');
    await advance(1000 * MIN);
    expect((await get(other.id)).status.stopReason).toBe('admin');
  });

  it('tells those on the channel of the stop and its reason', async () => {
    const room = await create({ idleStopMinutes: 1 });
    const ana = await enter(room.id, 'Ana');
    await t.ctx.sessions.tick();
    await t.app.request(`/api/rooms/${room.id}/stop`, { method: 'POST', headers: { cookie } });
    expect(await ana.next((m) => m.type === 'room' && m.state === 'stopped')).toEqual({ type: 'room', state: 'stopped', stopReason: 'admin' });
  });

  it('a visitor wakes a room stopped for being idle, but not one its admin stopped', async () => {
    const idle = await create({ idleStopMinutes: 1 });
    const stopped = await create({});
    await t.app.request(`/api/rooms/${stopped.id}/stop`, { method: 'POST', headers: { cookie } });
    await advance(0);
    await advance(MIN);
    expect((await get(idle.id)).status.stopReason).toBe('idle');

    const refused = await wake(stopped.id);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: { code: 'room_stopped', message: 'this room was stopped by its admin' } });
    expect(runtime.running.has(stopped.id)).toBe(false);

    t.clock.now += 5000;
    const res = await wake(idle.id);
    expect(res.status).toBe(200);
    const view = (await res.json()) as { status: { state: string; stopReason: string | null }; session: { startedAt: string } };
    expect(view.status).toMatchObject({ state: 'live', stopReason: null });
    expect(view.session.startedAt).toBe(new Date(t.clock.now).toISOString());
    expect(runtime.running.has(idle.id)).toBe(true);
    // A running room: a wake changes nothing.
    expect((await wake(idle.id)).status).toBe(200);
    expect(runtime.calls.filter((c) => c === `start ${idle.id}`)).toHaveLength(2);
    // Woken and nobody came: stopped again after the idle time.
    await advance(0);
    await advance(MIN);
    expect((await get(idle.id)).status.stopReason).toBe('idle');
    expect((await wake('a'.repeat(24))).status).toBe(404);
  });

  it('a password room is woken only with its access', async () => {
    const room = await create({ idleStopMinutes: 1, password: 'open sesame' });
    await advance(0);
    await advance(MIN);
    const res = await wake(room.id);
    expect(res.status).toBe(401);
    expect(runtime.running.has(room.id)).toBe(false);
    const joined = await t.app.request(`/api/rooms/${room.id}/join`, json({ password: 'open sesame' }));
    expect((await wake(room.id, { cookie: cookieFrom(joined) })).status).toBe(200);
    expect(runtime.running.has(room.id)).toBe(true);
  });

  it('limits wakes per room, and refuses one over the host\'s capacity as the dashboard does', async () => {
    const room = await create({ idleStopMinutes: 1 });
    for (let i = 0; i < 5; i++) {
      await advance(0);
      await advance(MIN);
      expect([i, (await get(room.id)).status.stopReason]).toEqual([i, 'idle']);
      expect((await wake(room.id)).status).toBe(200);
      t.clock.now -= MIN - 1000; // the test's clock goes back: five wakes within 5 s
    }
    await advance(0);
    await advance(MIN);
    const limited = await wake(room.id);
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('too_many_wakes');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('refuses a wake over capacity with capacity_exceeded, leaving the room stopped', async () => {
    t.close();
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime, { env: { STREAMBOX_CAPACITY_CORES: '1.8' } });
    cookie = await t.login();
    const room = await create({ idleStopMinutes: 1 });
    await advance(0);
    await advance(MIN);
    await create({ name: 'two' });
    await create({ name: 'three' });
    const res = await wake(room.id);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('capacity_exceeded');
    expect((await get(room.id)).status).toMatchObject({ state: 'stopped', stopReason: 'idle' });
  });

  it('warns everyone before the time limit (joiners too), stops with reason time-limit, and the admin can extend', async () => {
    const room = await create({ idleStopMinutes: 0, maxDurationMinutes: 20 });
    const started = t.clock.now;
    expect((await get(room.id)).session.endsAt).toBe(new Date(started + 20 * MIN).toISOString());
    const ana = await enter(room.id, 'Ana');
    await advance(15 * MIN - 1);
    expect(ana.messages.some((m) => m.type === 'time-limit')).toBe(false);
    await advance(1);
    expect(await ana.next((m) => m.type === 'time-limit')).toEqual({ type: 'time-limit', endsAt: new Date(started + 20 * MIN).toISOString(), msLeft: 5 * MIN });
    const bo = await enter(room.id, 'Bo');
    expect(await bo.next((m) => m.type === 'time-limit')).toMatchObject({ endsAt: new Date(started + 20 * MIN).toISOString() });

    // The admin extends: the session counts from now.
    const extended = await t.app.request(`/api/rooms/${room.id}/extend`, { method: 'POST', headers: { cookie } });
    expect(extended.status).toBe(200);
    expect(((await extended.json()) as { session: { endsAt: string } }).session.endsAt).toBe(new Date(t.clock.now + 20 * MIN).toISOString());
    await advance(10 * MIN);
    expect(await ana.next((m) => m.type === 'time-limit')).toEqual({ type: 'time-limit', endsAt: null, msLeft: null });
    expect(runtime.running.has(room.id)).toBe(true);
    await advance(10 * MIN);
    expect(runtime.running.has(room.id)).toBe(false);
    expect((await get(room.id)).status.stopReason).toBe('time-limit');
    expect((await wake(room.id)).status).toBe(409);
    expect((await t.app.request(`/api/rooms/${room.id}/extend`, { method: 'POST', headers: { cookie } })).status).toBe(409);
    // The admin starts it again: a new session.
    await t.app.request(`/api/rooms/${room.id}/start`, { method: 'POST', headers: { cookie } });
    expect((await get(room.id)).session.endsAt).toBe(new Date(t.clock.now + 20 * MIN).toISOString());
  });
});

describe('idle stop across a restart of the admin service', () => {
  it('keeps the reason, leaves an idle room stopped at reconcile, and restarts the idle clock of a running room', async () => {
    const dir = mkdtempSync(joinPath(tmpdir(), 'sbx-idle-'));
    try {
      const first = new FakeRuntime();
      const a = await makeTestApp(first, { dir });
      const cookie = await a.login();
      const create = async (body: object) => (await (await a.app.request('/api/rooms', json({ ...ROOM, ...body }, cookie))).json()) as { id: string };
      const idle = await create({ idleStopMinutes: 1 });
      const limited = await create({ idleStopMinutes: 0, maxDurationMinutes: 30 });
      const running = await create({ idleStopMinutes: 10 });
      await a.ctx.sessions.tick();
      a.clock.now += MIN;
      await a.ctx.sessions.tick();
      expect(first.running.has(idle.id)).toBe(false);
      a.clock.now += 8 * MIN; // the running room has been empty for 9 of its 10 minutes
      await a.ctx.sessions.tick();
      const stoppedAt = a.clock.now;
      a.close();

      // The host rebooted: nothing runs.
      const second = new FakeRuntime();
      const b = await makeTestApp(second, { dir });
      b.clock.now = stoppedAt;
      await b.ctx.rooms.reconcile();
      expect(second.calls).toEqual(expect.arrayContaining([`start ${running.id}`, `start ${limited.id}`]));
      expect(second.calls).not.toContain(`start ${idle.id}`);
      const bc = await b.login();
      const view = (await (await b.app.request(`/api/rooms/${idle.id}`, { headers: { cookie: bc } })).json()) as { status: { stopReason: string } };
      expect(view.status.stopReason).toBe('idle');
      // The idle clock starts again (nobody could be in the room meanwhile) ...
      await b.ctx.sessions.tick();
      b.clock.now += 2 * MIN;
      await b.ctx.sessions.tick();
      expect(second.running.has(running.id)).toBe(true);
      // ... and the time limit still counts from the session's start (30 min after it).
      b.clock.now += 21 * MIN - 1000;
      await b.ctx.sessions.tick();
      expect(second.running.has(limited.id)).toBe(false);
      // The wake still works after the restart.
      expect((await b.app.request(`/api/rooms/${idle.id}/wake`, { method: 'POST' })).status).toBe(200);
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
