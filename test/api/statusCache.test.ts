/**
 * Room status from the watch, not from asking the runtime on every request (issue 13 part 3): with
 * the watch on, steady-state reads of a room (GetConfiguration, ListRooms, GetRoom) cost the
 * runtime nothing; a change the watch reports is read once and served.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { json, makeTestApp, type TestApp } from '../support/testApp.js';

describe('room status served from memory', () => {
  let runtime: FakeRuntime;
  let t: TestApp;
  let cookie: string;
  let id: string;

  beforeEach(async () => {
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime);
    t.ctx.rooms.watchRuntime();
    cookie = await t.login();
    id = ((await (await t.app.request('/api/rooms', json({ name: 'r', startUrl: 'https://example.org' }, cookie))).json()) as { id: string }).id;
  });
  afterEach(() => t.close());

  const state = async () => ((await (await t.app.request(`/api/rooms/${id}`, { headers: { cookie } })).json()) as { status: { state: string } }).status.state;

  it('asks the runtime nothing for repeated reads in steady state', async () => {
    await state(); // the first read after the room was made
    const before = runtime.statusReads;
    for (let i = 0; i < 5; i++) {
      expect((await t.app.request(`/api/rooms/${id}/configuration`)).status).toBe(200);
      expect((await t.app.request('/api/rooms', { headers: { cookie } })).status).toBe(200);
      expect(await state()).toBe('live');
    }
    expect(runtime.statusReads - before).toBe(0);
  });

  it('reads again once when the watch reports a change, and serves the new state', async () => {
    expect(await state()).toBe('live');
    runtime.failingRoles.add('stream');
    expect(await state(), 'no signal yet: the cached state').toBe('live');
    const before = runtime.statusReads;
    runtime.emit(id);
    expect(await state()).toBe('failed');
    expect(await state()).toBe('failed');
    expect(runtime.statusReads - before).toBe(1);
  });

  it('drops every room on a "re-read everything" (systemd reloaded or reconnected)', async () => {
    await state();
    runtime.failingRoles.add('browser');
    runtime.emit(null);
    expect(await state()).toBe('failed');
  });

  it('never serves a failed read later: the next request asks again', async () => {
    runtime.emit(id);
    runtime.available = false;
    expect(await state()).toBe('unknown');
    runtime.available = true;
    expect(await state()).toBe('live');
  });

  it('reads on every request when nothing watches the runtime (no signal would say it went stale)', async () => {
    t.ctx.rooms.close();
    const before = runtime.statusReads;
    await state();
    await state();
    expect(runtime.statusReads - before).toBe(2);
  });
});
