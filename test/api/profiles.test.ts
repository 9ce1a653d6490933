/**
 * Keep logins (issue 14, part 3): the CreateRoom field, what reaches the runtime, "Reset browser"
 * (POST /api/rooms/ID/browser/reset) and that a delete removes the kept profile.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { json, makeTestApp, type TestApp } from '../support/testApp.js';
import { formatEnvFile } from '../../server/runtime/systemd/envFile.js';

const VALID = { name: 'Logins', startUrl: 'https://example.org/' };
const UNKNOWN_ID = 'aaaaaaaaaaaaaaaaaaaaaaaa';

describe('keep logins', () => {
  let runtime: FakeRuntime;
  let t: TestApp;
  let cookie: string;

  beforeEach(async () => {
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime);
    cookie = await t.login();
  });
  afterEach(() => t.close());

  const create = async (body: unknown) => t.app.request('/api/rooms', json(body, cookie));
  const reset = (id: string) => t.app.request(`/api/rooms/${id}/browser/reset`, { method: 'POST', headers: { cookie, origin: 'http://localhost' } });
  const roomCount = async () => ((await (await t.app.request('/api/rooms', { headers: { cookie } })).json()) as { rooms: unknown[] }).rooms.length;

  it('is off by default, stored when asked for, and handed to the runtime', async () => {
    const plain = await (await create(VALID)).json();
    expect(plain.config.keepLogins).toBe(false);
    expect(runtime.specs.get(plain.id)!.keepLogins).toBe(false);
    expect(runtime.profiles.has(plain.id)).toBe(false);

    const kept = await (await create({ ...VALID, keepLogins: true })).json();
    expect(kept.config.keepLogins).toBe(true);
    expect(runtime.specs.get(kept.id)!.keepLogins).toBe(true);
    expect(runtime.profiles.has(kept.id)).toBe(true);
    // Read back from the store, not from the create's answer.
    expect((await (await t.app.request(`/api/rooms/${kept.id}`, { headers: { cookie } })).json()).config.keepLogins).toBe(true);
  });

  it('refuses a keepLogins that is not a boolean, naming the field, and makes nothing', async () => {
    for (const value of ['yes', 1, null]) {
      const res = await create({ ...VALID, keepLogins: value });
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('invalid_argument');
      expect(body.error.field).toBe('keepLogins');
      expect(body.error.message).toContain('keepLogins');
    }
    expect(await roomCount()).toBe(0);
    expect(runtime.calls).toEqual([]);
  });

  it('points the browser at the kept profile only for a keep-logins room', () => {
    const spec = { id: 'r'.repeat(24), display: 10, width: 640, height: 360, fps: 30, videoBitrateKbps: 1000, startUrl: 'https://example.org/', vncPassword: 'x', relayUrl: 'http://127.0.0.1/' };
    expect(formatEnvFile(spec, 'rtmp://127.0.0.1/live')).toContain('ROOM_PROFILE_DIR="/tmp/chromium"');
    expect(formatEnvFile({ ...spec, keepLogins: true }, 'rtmp://127.0.0.1/live')).toContain(`ROOM_PROFILE_DIR="/var/lib/streambox/profiles/${spec.id}"`);
  });

  it('resets the browser: stops the room, removes the profile, starts it again', async () => {
    const room = await (await create({ ...VALID, keepLogins: true })).json();
    runtime.calls.length = 0;
    const res = await reset(room.id);
    expect(res.status, await res.clone().text()).toBe(200);
    const after = await res.json();
    expect(runtime.calls).toEqual([`stop ${room.id}`, `clean ${room.id}`, `start ${room.id}`]);
    expect(after.status.state).toBe('live');
    expect(after.status.resettingBrowser).toBe(false);
    // Started again with its (new, empty) kept profile.
    expect(runtime.profiles.has(room.id)).toBe(true);
  });

  it('resets a stopped room without starting it', async () => {
    const room = await (await create({ ...VALID, keepLogins: true })).json();
    await t.app.request(`/api/rooms/${room.id}/stop`, { method: 'POST', headers: { cookie, origin: 'http://localhost' } });
    runtime.calls.length = 0;
    const res = await reset(room.id);
    expect(res.status).toBe(200);
    expect(runtime.calls).toEqual([`stop ${room.id}`, `clean ${room.id}`]);
    expect(runtime.profiles.has(room.id)).toBe(false);
    expect((await res.json()).status.desiredState).toBe('stopped');
  });

  it('answers 404 for an unknown room and 409 for a room that does not keep logins', async () => {
    const missing = await reset(UNKNOWN_ID);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');

    const plain = await (await create(VALID)).json();
    runtime.calls.length = 0;
    const refused = await reset(plain.id);
    expect(refused.status).toBe(409);
    const body = await refused.json();
    expect(body.error.code).toBe('conflict');
    expect(body.error.message).toContain('does not keep logins');
    expect(runtime.calls, 'nothing was stopped').toEqual([]);
  });

  it('refuses a second reset while one runs, and shows the reset under way', async () => {
    const room = await (await create({ ...VALID, keepLogins: true })).json();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const clean = runtime.cleanProfile.bind(runtime);
    runtime.cleanProfile = async (id) => {
      await held;
      return clean(id);
    };
    const first = reset(room.id);
    await new Promise((r) => setTimeout(r, 20));
    const during = await (await t.app.request(`/api/rooms/${room.id}`, { headers: { cookie } })).json();
    expect(during.status.resettingBrowser).toBe(true);
    const second = await reset(room.id);
    expect(second.status).toBe(409);
    expect((await second.json()).error.message).toContain('already being reset');
    release();
    expect((await first).status).toBe(200);
  });

  it('starts the room again when the profile could not be removed, and says so', async () => {
    const room = await (await create({ ...VALID, keepLogins: true })).json();
    runtime.cleanProfile = async () => {
      throw new (await import('../../server/runtime/types.js')).RuntimeJobError(`browser@${room.id}.service`, 'clean-failed', 'disk on fire', 'browser');
    };
    const res = await reset(room.id);
    expect(res.status).toBe(502);
    const body = await res.json();
    expect(body.error.code).toBe('reset_failed');
    expect(body.error.message).toContain('disk on fire');
    expect(runtime.running.has(room.id), 'the room runs again').toBe(true);
  });

  it('keeps a room in deleting, and says so, when its profile could not be removed', async () => {
    const room = await (await create({ ...VALID, keepLogins: true })).json();
    const remove = runtime.remove.bind(runtime);
    runtime.remove = async () => {
      throw new (await import('../../server/runtime/types.js')).RuntimeJobError(`browser@${room.id}.service`, 'clean-failed', 'disk on fire', 'browser');
    };
    const res = await t.app.request(`/api/rooms/${room.id}`, { method: 'DELETE', headers: { cookie, origin: 'http://localhost' } });
    expect(res.status).toBe(502);
    const body = await res.json();
    expect(body.error.code).toBe('delete_incomplete');
    expect(body.error.message).toContain('disk on fire');
    expect((await (await t.app.request(`/api/rooms/${room.id}`, { headers: { cookie } })).json()).status.desiredState).toBe('deleting');
    runtime.remove = remove;
    expect((await t.app.request(`/api/rooms/${room.id}`, { method: 'DELETE', headers: { cookie, origin: 'http://localhost' } })).status, 'a retry finishes it').toBe(204);
    expect(runtime.profiles.has(room.id)).toBe(false);
  });

  it('removes the kept profile when the room is deleted', async () => {
    const room = await (await create({ ...VALID, keepLogins: true })).json();
    expect(runtime.profiles.has(room.id)).toBe(true);
    const res = await t.app.request(`/api/rooms/${room.id}`, { method: 'DELETE', headers: { cookie, origin: 'http://localhost' } });
    expect(res.status).toBe(204);
    expect(runtime.profiles.has(room.id)).toBe(false);
    expect(runtime.calls.slice(-2)).toEqual([`stop ${room.id}`, `remove ${room.id}`]);
    expect(await roomCount()).toBe(0);
  });
});
