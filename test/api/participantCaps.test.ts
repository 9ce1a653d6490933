/**
 * The room channel's caps, through the real HTTP server and WebSockets: participants per room and
 * per client address (closed with 4029 and a reason, the others unaffected), cursor and message
 * rates (the excess is not relayed). The test clock stands still, so a rate bucket holds exactly
 * its burst.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerType } from '@hono/node-server';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { joinRoom, json, listen, makeTestApp, type Member, type TestApp } from '../support/testApp.js';

/** Opens a channel and reports how it ended within `ms` ('open' if it stayed open). */
async function tryJoin(host: string, roomId: string, name: string, ms = 1000): Promise<{ ws: WebSocket; result: 'open' | { code: number; reason: string } }> {
  const ws = new WebSocket(`ws://${host}/api/rooms/${roomId}/events?name=${encodeURIComponent(name)}`, { headers: { origin: `http://${host}` } });
  const result = await new Promise<'open' | { code: number; reason: string }>((resolve) => {
    const timer = setTimeout(() => resolve('open'), ms);
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
  return { ws, result };
}

describe('room channel caps', () => {
  let t: TestApp;
  let server: ServerType;
  let host: string;
  let cookie: string;
  const members: Member[] = [];

  beforeAll(async () => {
    t = await makeTestApp(new FakeRuntime(), { env: { STREAMBOX_PARTICIPANTS_PER_ADDRESS: '12', STREAMBOX_PARTICIPANTS_PER_ROOM: '20', STREAMBOX_CURSOR_RATE: '25' } });
    cookie = await t.login();
    ({ server, host } = await listen(t));
  });

  afterAll(() => {
    for (const m of members) m.ws.close();
    server?.close();
    t?.close();
  });

  const newRoom = async (name: string) => (await (await t.app.request('/api/rooms', json({ name, startUrl: 'https://example.org' }, cookie))).json()).id as string;

  it('refuses the 13th participant from one address with 4029, and the 12 keep working', async () => {
    const roomId = await newRoom('caps');
    for (let i = 0; i < 12; i++) members.push(await joinRoom(host, roomId, `p${i}`));
    const extra = await tryJoin(host, roomId, 'p12');
    expect(extra.result).toEqual({ code: 4029, reason: 'too many participants from your address (12)' });
    expect(t.ctx.presence.summary(roomId).participants).toBe(12);
    // The others still act and hear each other.
    const [first, second] = members as [Member, Member];
    second.send({ type: 'request' });
    await first.next((m) => m.type === 'state' && (m.requests as string[]).includes(second.you.id));
    first.send({ type: 'pass', to: second.you.id });
    await members[11]!.next((m) => m.type === 'state' && m.holder === second.you.id);
    // The admin is never counted against the cap.
    const admin = await joinRoom(host, roomId, 'Admin', cookie);
    expect(admin.you.isAdmin).toBe(true);
    admin.ws.close();
    // Another room has its own count.
    const elsewhere = await joinRoom(host, await newRoom('other'), 'p0');
    elsewhere.ws.close();
  });

  it('relays at most the cursor rate, and drops a flood of other messages', async () => {
    const roomId = await newRoom('cursors');
    const a = await joinRoom(host, roomId, 'A');
    const b = await joinRoom(host, roomId, 'B');
    members.push(a, b);
    for (let i = 0; i < 300; i++) a.send({ type: 'cursor', x: i / 300, y: 0.5 });
    await new Promise((r) => setTimeout(r, 800));
    const relayed = b.messages.filter((m) => m.type === 'cursor').length;
    console.log(`300 cursor messages sent at once, ${relayed} relayed (the clock stands still: the burst only)`);
    expect(relayed).toBe(25);
    // Renames broadcast to everyone: a flood is cut to the burst (10) and the sender is told once.
    for (let i = 0; i < 100; i++) a.send({ type: 'rename', name: `A${i}` });
    await a.next((m) => m.type === 'error' && m.code === 'rate_limited');
    await new Promise((r) => setTimeout(r, 500));
    expect(b.messages.filter((m) => m.type === 'state').length).toBeLessThanOrEqual(11);
  });
});
