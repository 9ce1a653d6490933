/**
 * The chat over the room channel (real HTTP server, real WebSockets, the test app's clock): a
 * message reaches the others with name and time, a joiner gets the history, join/leave/control
 * notices, the limits (length, characters, rate) refused with a chat error and nothing sent,
 * who may clear, reactions from the fixed set, and a deleted room's chat forgotten.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerType } from '@hono/node-server';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { joinRoom, json, listen, makeTestApp, type Member, type TestApp } from '../support/testApp.js';

type Entry = { kind: string; seq: number; at: number; from: string | null; name: string | null; text?: string };

describe('chat over the room channel', () => {
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
  const chatEntry = (m: Member, pred: (e: Entry) => boolean) => m.next((msg) => msg.type === 'chat' && pred(msg.entry as Entry)).then((msg) => msg.entry as Entry);
  const history = (m: Member) => m.next((msg) => msg.type === 'chat-history').then((msg) => msg.entries as Entry[]);
  const chatError = (m: Member) => m.next((msg) => msg.type === 'error' && msg.about === 'chat');
  const said = (m: Member) => m.messages.filter((msg) => msg.type === 'chat' && (msg.entry as Entry).kind === 'message');

  it('a message reaches the other participant with its name and the server time; a joiner gets the history', async () => {
    const ana = await join('Ana');
    expect(await history(ana)).toEqual([]);
    const bo = await join('Bo');
    await chatEntry(ana, (e) => e.kind === 'joined' && e.name === 'Bo');
    ana.send({ type: 'chat', text: '  hello Bo  ' });
    const got = await chatEntry(bo, (e) => e.kind === 'message');
    expect(got).toMatchObject({ from: ana.you.id, name: 'Ana', text: 'hello Bo', at: t.clock.now });
    // The sender sees it come back too (the page shows what the server kept, not what it typed).
    expect(await chatEntry(ana, (e) => e.kind === 'message')).toEqual(got);

    const cy = await join('Cy');
    const kinds = (await history(cy)).map((e) => [e.kind, e.name]);
    expect(kinds).toEqual([
      ['joined', 'Ana'],
      ['control', 'Ana'],
      ['joined', 'Bo'],
      ['message', 'Ana'],
    ]);
  });

  it('says who left and where control went, in the stream', async () => {
    const ana = await join('Ana');
    const bo = await join('Bo');
    bo.send({ type: 'request' });
    await bo.next((m) => m.type === 'state' && (m.requests as string[]).includes(bo.you.id));
    ana.send({ type: 'pass', to: bo.you.id });
    expect(await chatEntry(ana, (e) => e.kind === 'control' && e.from === bo.you.id)).toMatchObject({ name: 'Bo' });
    bo.ws.close();
    expect(await chatEntry(ana, (e) => e.kind === 'left')).toMatchObject({ from: bo.you.id, name: 'Bo' });
    // Control went with Bo: to nobody (Ana had not asked).
    expect(await chatEntry(ana, (e) => e.kind === 'control' && e.seq > 4)).toMatchObject({ from: null, name: null });
  });

  it('refuses too long, empty and unclean text and a burst over the rate, in the chat, sending nothing', async () => {
    const ana = await join('Ana');
    const bo = await join('Bo');
    ana.send({ type: 'chat', text: 'x'.repeat(501) });
    expect(await chatError(ana)).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/^text: at most 500 characters/) });
    ana.send({ type: 'chat', text: 'right\u202Eto left' });
    expect(await chatError(ana)).toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/^text: /) });
    // Over the channel's own frame limit: not read at all.
    ana.send({ type: 'chat', text: 'x'.repeat(3000) });
    t.clock.now += 10_000; // the channel's general rate (5 a second) refills; the chat's is what is tested
    for (let i = 1; i <= 6; i++) ana.send({ type: 'chat', text: `m${i}` });
    expect(await chatError(ana)).toMatchObject({ code: 'rate_limited', message: expect.stringContaining('at most 5 in a row') });
    await chatEntry(bo, (e) => e.text === 'm5');
    await new Promise((r) => setTimeout(r, 200));
    expect(said(bo).map((m) => (m.entry as Entry).text)).toEqual(['m1', 'm2', 'm3', 'm4']); // m5 was taken above; no m6
    expect(t.ctx.presence.chat.log.history(roomId).filter((e) => e.kind === 'message').map((e) => (e as Entry).text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    // Two seconds later, one more goes through.
    t.clock.now += 2000;
    ana.send({ type: 'chat', text: 'later' });
    expect(await chatEntry(bo, (e) => e.text === 'later')).toMatchObject({ name: 'Ana' });
  });

  it('carries names and text with markup as plain strings (the page renders them as text)', async () => {
    const evil = await join('<img src=x onerror=alert(1)>');
    const bo = await join('Bo');
    evil.send({ type: 'chat', text: '<b>bold</b> & <script>alert(2)</script>' });
    expect(await chatEntry(bo, (e) => e.kind === 'message')).toMatchObject({ name: '<img src=x onerror=alert(1)>', text: '<b>bold</b> & <script>alert(2)</script>' });
  });

  it('lets the driver and the admin clear the chat, nobody else; a joiner then sees only who cleared it', async () => {
    const ana = await join('Ana'); // drives
    const bo = await join('Bo');
    bo.send({ type: 'chat', text: 'something to regret' });
    await chatEntry(ana, (e) => e.kind === 'message');
    bo.send({ type: 'chat-clear' });
    expect(await chatError(bo)).toMatchObject({ code: 'permission_denied', message: 'only the driver or the admin can clear the chat' });
    expect(t.ctx.presence.chat.log.history(roomId).some((e) => e.kind === 'message')).toBe(true);

    ana.send({ type: 'chat-clear' });
    const cleared = await bo.next((m) => m.type === 'chat-cleared');
    expect(cleared.entry).toMatchObject({ kind: 'cleared', from: ana.you.id, name: 'Ana' });
    const cy = await join('Cy');
    expect((await history(cy)).map((e) => [e.kind, e.name])).toEqual([['cleared', 'Ana']]);

    // The admin clears without driving.
    const boss = await join('Admin', admin);
    expect(boss.you.isAdmin).toBe(true);
    expect(t.ctx.arbiter.holder(roomId)).toBe(ana.you.id);
    boss.send({ type: 'chat-clear' });
    expect((await cy.next((m) => m.type === 'chat-cleared')).entry).toMatchObject({ name: 'Admin' });
  });

  it('relays reactions from the fixed set to everyone and keeps none; others are not understood', async () => {
    const ana = await join('Ana');
    const bo = await join('Bo');
    ana.send({ type: 'react', emoji: '🎉' });
    expect(await bo.next((m) => m.type === 'reaction')).toEqual({ type: 'reaction', from: ana.you.id, name: 'Ana', emoji: '🎉' });
    ana.send({ type: 'react', emoji: '<img>' });
    expect(await ana.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_message' });
    expect(t.ctx.presence.chat.log.history(roomId).map((e) => e.kind)).not.toContain('reaction');
  });

  it("forgets a deleted room's chat, also when nobody is in it", async () => {
    const ana = await join('Ana');
    ana.send({ type: 'chat', text: 'hi' });
    await chatEntry(ana, (e) => e.kind === 'message');
    ana.ws.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(t.ctx.presence.chat.log.history(roomId).length).toBeGreaterThan(0);
    expect((await t.app.request(`/api/rooms/${roomId}`, { method: 'DELETE', headers: { cookie: admin } })).status).toBe(204);
    expect(t.ctx.presence.chat.log.history(roomId)).toEqual([]);
  });
});
