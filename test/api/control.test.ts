/**
 * Control over the room channel (real HTTP server, real WebSockets): who drives, requests,
 * passing, idle revocation, leaving; and VNC tokens only for the holder.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerType } from '@hono/node-server';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { cookieFrom, joinRoom, json, listen, makeTestApp, type Member, type TestApp } from '../support/testApp.js';

describe('control over the room channel', () => {
  let t: TestApp;
  let server: ServerType;
  let host: string;
  let admin: string;
  let roomId: string;
  const members: Member[] = [];

  beforeEach(async () => {
    t = await makeTestApp(new FakeRuntime());
    ({ server, host } = await listen(t));
    admin = await t.login();
    roomId = (await (await t.app.request('/api/rooms', json({ name: 'R', startUrl: 'https://example.org' }, admin))).json()).id;
  });
  afterEach(async () => {
    for (const m of members.splice(0)) m.ws.close();
    server.close();
    t.close();
  });

  const join = async (name: string, cookie?: string) => {
    const m = await joinRoom(host, roomId, name, cookie);
    members.push(m);
    return m;
  };
  const token = (m: Member, key = m.you.key) => t.app.request(`/api/rooms/${roomId}/vnc-token`, json({ participantId: m.you.id, participantKey: key }));
  const stateWith = (m: Member, pred: (s: { holder: string | null; requests: string[]; participants: Array<{ id: string; name: string }> }) => boolean) =>
    m.next((msg) => msg.type === 'state' && pred(msg as never)) as Promise<{ holder: string | null; requests: string[]; participants: Array<{ id: string; name: string }> }>;

  it('gives the first participant control, and a VNC token only to the holder', async () => {
    const a = await join('Ana');
    await stateWith(a, (s) => s.holder === a.you.id);
    const b = await join('Bo');
    const state = await stateWith(b, (s) => s.participants.length === 2);
    expect(state.holder).toBe(a.you.id);
    expect(state.participants.map((p) => p.name)).toEqual(['Ana', 'Bo']);

    expect((await token(a)).status).toBe(200);
    const refused = await token(b);
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe('permission_denied');
    // B cannot pass as A without A's key.
    const impostor = await t.app.request(`/api/rooms/${roomId}/vnc-token`, json({ participantId: a.you.id, participantKey: b.you.key }));
    expect(impostor.status).toBe(401);
  });

  it('moves control when the holder passes it to a requester; the old holder gets no more tokens', async () => {
    const a = await join('Ana');
    const b = await join('Bo');
    b.send({ type: 'request' });
    await stateWith(a, (s) => s.requests.includes(b.you.id));
    a.send({ type: 'pass', to: b.you.id });
    await stateWith(b, (s) => s.holder === b.you.id);
    expect((await token(a)).status).toBe(403);
    expect((await token(b)).status).toBe(200);
  });

  it('refuses control actions from someone who does not hold control', async () => {
    const a = await join('Ana');
    const b = await join('Bo');
    b.send({ type: 'pass', to: b.you.id });
    expect(await b.next((m) => m.type === 'error')).toMatchObject({ code: 'not_holder' });
    b.send({ type: 'take' });
    expect(await b.next((m) => m.type === 'error')).toMatchObject({ code: 'not_admin' });
    b.send({ nonsense: true });
    expect(await b.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_message' });
    expect(t.ctx.arbiter.holder(roomId)).toBe(a.you.id);
  });

  it('lets the holder decline a request', async () => {
    const a = await join('Ana');
    const b = await join('Bo');
    b.send({ type: 'request' });
    await stateWith(a, (s) => s.requests.includes(b.you.id));
    a.send({ type: 'decline', to: b.you.id });
    await stateWith(b, (s) => s.requests.length === 0 && s.holder === a.you.id);
  });

  it('releases control when the holder leaves, to the participant who asked', async () => {
    const a = await join('Ana');
    const b = await join('Bo');
    b.send({ type: 'request' });
    await stateWith(a, (s) => s.requests.includes(b.you.id));
    a.ws.close();
    await stateWith(b, (s) => s.holder === b.you.id && s.participants.length === 1);
  });

  it('warns an idle holder, then lets the next participant take control', async () => {
    const a = await join('Ana');
    const b = await join('Bo');
    t.clock.now += 4.5 * 60_000;
    t.ctx.presence.tick();
    expect(await a.next((m) => m.type === 'idle-warning')).toMatchObject({ msLeft: 30_000 });
    t.clock.now += 31_000;
    t.ctx.presence.tick();
    await stateWith(b, (s) => s.holder === null);
    b.send({ type: 'request' });
    await stateWith(b, (s) => s.holder === b.you.id);
  });

  it('lets the admin take control back', async () => {
    const a = await join('Ana');
    const boss = await join('Admin', admin);
    expect(boss.you.isAdmin).toBe(true);
    boss.send({ type: 'take' });
    await stateWith(a, (s) => s.holder === boss.you.id);
  });

  it('relays pointers to the others', async () => {
    const a = await join('Ana');
    const b = await join('Bo');
    a.send({ type: 'cursor', x: 0.25, y: 0.75 });
    expect(await b.next((m) => m.type === 'cursor')).toEqual({ type: 'cursor', id: a.you.id, x: 0.25, y: 0.75 });
  });

  it('tells participants when the room is deleted and closes their channel', async () => {
    const a = await join('Ana');
    const closed = new Promise<number>((r) => a.ws.once('close', (code) => r(code)));
    expect((await t.app.request(`/api/rooms/${roomId}`, { method: 'DELETE', headers: { cookie: admin } })).status).toBe(204);
    expect(await a.next((m) => m.type === 'room')).toEqual({ type: 'room', state: 'deleted', stopReason: null });
    expect(await closed).toBe(4004);
  });

  it('needs a name, an existing room, and the password for a protected room', async () => {
    await expect(joinRoom(host, roomId, '')).rejects.toThrow(/400/);
    await expect(joinRoom(host, 'aaaaaaaaaaaaaaaaaaaaaaaa', 'x')).rejects.toThrow(/404/);
    const locked = (await (await t.app.request('/api/rooms', json({ name: 'L', startUrl: 'https://example.org', password: 'open sesame' }, admin))).json()).id;
    await expect(joinRoom(host, locked, 'x')).rejects.toThrow(/401/);
    const cookie = cookieFrom(await t.app.request(`/api/rooms/${locked}/join`, json({ password: 'open sesame' })));
    const m = await joinRoom(host, locked, 'x', cookie);
    m.ws.close();
  });
});
