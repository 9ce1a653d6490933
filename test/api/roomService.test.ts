import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { cookieFrom, json, makeTestApp, type TestApp } from '../support/testApp.js';

describe('RoomService: configuration and join', () => {
  let runtime: FakeRuntime;
  let t: TestApp;
  let admin: string;

  beforeEach(async () => {
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime);
    admin = await t.login();
  });
  afterEach(() => t.close());

  const newRoom = async (extra: object = {}) => (await (await t.app.request('/api/rooms', json({ name: 'R', startUrl: 'https://example.org', ...extra }, admin))).json()) as { id: string };

  it('gives an open room\'s configuration without login, with live member states', async () => {
    const room = await newRoom();
    const res = await t.app.request(`/api/rooms/${room.id}/configuration`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.id).toBe(room.id);
    expect(body.stream.web.map((s: { kind: string }) => s.kind)).toEqual(['fast', 'hls']);
    expect(body.status.members.display).toMatchObject({ unit: `display@${room.id}.service`, state: 'live', activeState: 'active' });
    expect(JSON.stringify(body)).not.toMatch(/vncPassword|passwordHash/);
  });

  it('asks for the password of a protected room and refuses a wrong one', async () => {
    const room = await newRoom({ password: 'open sesame' });
    const locked = await t.app.request(`/api/rooms/${room.id}/configuration`);
    expect(locked.status).toBe(401);
    expect((await locked.json()).error.code).toBe('room_password_required');

    const wrong = await t.app.request(`/api/rooms/${room.id}/join`, json({ password: 'nope' }));
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error).toMatchObject({ code: 'wrong_room_password', field: 'password' });

    const right = await t.app.request(`/api/rooms/${room.id}/join`, json({ password: 'open sesame' }));
    expect(right.status).toBe(200);
    const cookie = cookieFrom(right);
    expect((await t.app.request(`/api/rooms/${room.id}/configuration`, { headers: { cookie } })).status).toBe(200);

    // The admin needs no room password; a cookie for another room does not open this one.
    expect((await t.app.request(`/api/rooms/${room.id}/configuration`, { headers: { cookie: admin } })).status).toBe(200);
    const other = await newRoom({ password: 'different' });
    expect((await t.app.request(`/api/rooms/${other.id}/configuration`, { headers: { cookie } })).status).toBe(401);
  });

  it('slows down password guessing for a room', async () => {
    const room = await newRoom({ password: 'open sesame' });
    for (let i = 0; i < 5; i++) expect((await t.app.request(`/api/rooms/${room.id}/join`, json({ password: `guess${i}` }))).status).toBe(401);
    expect((await t.app.request(`/api/rooms/${room.id}/join`, json({ password: 'open sesame' }))).status).toBe(429);
  });

  it('answers 404 for unknown rooms and 400 for malformed IDs', async () => {
    expect((await t.app.request('/api/rooms/aaaaaaaaaaaaaaaaaaaaaaaa/configuration')).status).toBe(404);
    expect((await t.app.request('/api/rooms/nope/configuration')).status).toBe(400);
    expect((await t.app.request('/api/rooms/aaaaaaaaaaaaaaaaaaaaaaaa/vnc-token', json({ participantId: 'abcdefgh', participantKey: 'k'.repeat(32) }))).status).toBe(404);
  });

  it('validates the token request body', async () => {
    const room = await newRoom();
    for (const [body, field] of [
      [{ participantId: 'a b', participantKey: 'k'.repeat(32) }, 'participantId'],
      [{ participantId: 'abcdefgh' }, 'participantKey'],
      [{}, 'participantId'],
    ] as const) {
      const res = await t.app.request(`/api/rooms/${room.id}/vnc-token`, json(body));
      expect(res.status).toBe(400);
      expect((await res.json()).error.field).toBe(field);
    }
  });
});
