/**
 * The dashboard's pushed room list (GET /api/dashboard/feed, server-sent events) over a real HTTP
 * server: the list at once, a change pushed without polling, nothing for a visitor, and a client
 * that goes away leaves no listener behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerType } from '@hono/node-server';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { json, listen, makeTestApp, type TestApp } from '../support/testApp.js';

interface Feed {
  /** Resolves with the next `rooms` event's room names. */
  next(timeoutMs?: number): Promise<string[]>;
  close(): void;
}

async function openFeed(host: string, cookie: string): Promise<Feed> {
  const abort = new AbortController();
  const res = await fetch(`http://${host}/api/dashboard/feed`, { headers: { cookie, accept: 'text/event-stream' }, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(res.headers.get('x-accel-buffering')).toBe('no');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const events: string[][] = [];
  const waiter: { wake: (() => void) | null } = { wake: null };
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!/^event: rooms$/m.test(block)) continue;
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        events.push((JSON.parse(data) as { rooms: Array<{ name: string }> }).rooms.map((r) => r.name));
        waiter.wake?.();
      }
    }
  })();
  return {
    async next(timeoutMs = 3000) {
      const until = Date.now() + timeoutMs;
      while (events.length === 0) {
        if (Date.now() > until) throw new Error(`no rooms event within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          waiter.wake = r;
          setTimeout(r, 50);
        });
      }
      return events.shift()!;
    },
    close: () => abort.abort(),
  };
}

describe('GET /api/dashboard/feed', () => {
  let runtime: FakeRuntime;
  let t: TestApp;
  let server: ServerType;
  let host: string;
  let cookie: string;

  beforeEach(async () => {
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime);
    t.ctx.rooms.watchRuntime();
    ({ server, host } = await listen(t));
    cookie = await t.login();
  });
  afterEach(() => {
    server.close();
    t.close();
  });

  it('sends the room list at once, then each change as it happens', async () => {
    await t.app.request('/api/rooms', json({ name: 'First', startUrl: 'https://example.org' }, cookie));
    const feed = await openFeed(host, cookie);
    try {
      expect(await feed.next()).toEqual(['First']);
      await t.app.request('/api/rooms', json({ name: 'Second', startUrl: 'https://example.org' }, cookie));
      expect((await feed.next()).sort()).toEqual(['First', 'Second']);
      // Nothing changed: nothing is sent.
      await expect(feed.next(1500)).rejects.toThrow(/no rooms event/);
    } finally {
      feed.close();
    }
  });

  it('pushes a change the runtime reports (a member failed), with no request from the page', async () => {
    const { id } = (await (await t.app.request('/api/rooms', json({ name: 'Watched', startUrl: 'https://example.org' }, cookie))).json()) as { id: string };
    const feed = await openFeed(host, cookie);
    try {
      await feed.next();
      runtime.failingRoles.add('stream');
      runtime.emit(id);
      await feed.next();
      const list = (await (await t.app.request('/api/rooms', { headers: { cookie } })).json()) as { rooms: Array<{ status: { state: string } }> };
      expect(list.rooms[0]!.status.state).toBe('failed');
    } finally {
      feed.close();
    }
  });

  it('is for the admin only', async () => {
    const res = await fetch(`http://${host}/api/dashboard/feed`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
  });

  it('leaves no listener behind when the page goes away', async () => {
    const listeners = () => (t.ctx.rooms as unknown as { listeners: Set<unknown> }).listeners.size;
    const before = listeners();
    const feeds = await Promise.all([openFeed(host, cookie), openFeed(host, cookie), openFeed(host, cookie)]);
    await Promise.all(feeds.map((f) => f.next()));
    expect(listeners()).toBe(before + 3);
    for (const f of feeds) f.close();
    const until = Date.now() + 3000;
    while (listeners() > before && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(listeners()).toBe(before);
  });
});
