/**
 * The answers nginx asks for before it serves the audience path (server/http/routes/playback.ts):
 * HLS auth_request, nginx-rtmp's on_publish / on_play / on_update. Real app, real SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { cookieFrom, json, makeTestApp, type TestApp } from '../support/testApp.js';
import { PlaybackKeys } from '../../server/media/playbackKeys.js';

const PASSWORD = 'open sesame 123';

describe('playback access', () => {
  let t: TestApp;
  let admin = '';
  let open = '';
  let locked = '';
  let joined = '';

  beforeAll(async () => {
    t = await makeTestApp(new FakeRuntime());
    admin = await t.login();
    const create = async (body: object) => ((await (await t.app.request('/api/rooms', json(body, admin))).json()) as { id: string }).id;
    open = await create({ name: 'Open', startUrl: 'https://example.org' });
    locked = await create({ name: 'Locked', startUrl: 'https://example.org', password: PASSWORD });
    joined = cookieFrom(await t.app.request(`/api/rooms/${locked}/join`, json({ password: PASSWORD })));
    expect(joined).toContain(`sbx_room_${locked}`);
  });
  afterAll(() => t?.close());

  const hls = (path: string, cookie?: string) => t.app.request('/api/playback/hls-access', { headers: { 'x-original-uri': path, ...(cookie ? { cookie } : {}) } });
  const rtmp = (call: string, fields: Record<string, string>) =>
    t.app.request(`/api/playback/rtmp/${call}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ app: 'live', addr: '127.0.0.1', ...fields }).toString() });

  it('HLS: an open room is anyone\'s, a password room only with its cookie (or the admin\'s)', async () => {
    for (const file of [`/hls/${open}.m3u8`, `/hls/${open}-1764580000123.ts`]) {
      const res = await hls(file);
      expect(res.status).toBe(204);
      expect(res.headers.get('x-streambox-access')).toBe('open');
    }
    for (const file of [`/hls/${locked}.m3u8`, `/hls/${locked}-1764580000123.ts`]) {
      expect((await hls(file)).status).toBe(401);
      expect((await hls(file, `sbx_room_${locked}=forged`)).status).toBe(401);
      const ok = await hls(file, joined);
      expect(ok.status).toBe(204);
      expect(ok.headers.get('x-streambox-access')).toBe('private');
      expect((await hls(file, admin)).status).toBe(204);
    }
    // Another room's cookie opens nothing; paths that name no room are refused.
    expect((await hls(`/hls/${locked}.m3u8`, `sbx_room_${open}=x`)).status).toBe(401);
    for (const path of ['/hls/', `/hls/${locked}.m3u8.bak`, `/hls/${locked}/../x.ts`, '/hls/aaaaaaaaaaaaaaaaaaaaaaaa.m3u8', '/etc/passwd', '']) expect((await hls(path)).status).toBe(403);
  });

  it('RTMP publish needs the room key, from loopback', async () => {
    const key = t.ctx.media.playback.publishKey(locked);
    expect((await rtmp('publish', { call: 'publish', name: locked, key })).status).toBe(204);
    expect((await rtmp('publish', { call: 'publish', name: locked })).status).toBe(403);
    expect((await rtmp('publish', { call: 'publish', name: open, key })).status).toBe(403); // another room's key
    expect((await rtmp('publish', { call: 'publish', name: locked, key, addr: '198.18.0.2' })).status).toBe(403);
    expect((await rtmp('update', { call: 'update_publish', name: locked, key })).status).toBe(204);
    expect((await rtmp('update', { call: 'update_publish', name: 'aaaaaaaaaaaaaaaaaaaaaaaa', key })).status).toBe(403);
  });

  it('RTMP play: open rooms need nothing, password rooms the token from their Room view', async () => {
    expect((await rtmp('play', { call: 'play', name: open })).status).toBe(204);
    expect((await rtmp('play', { call: 'play', name: locked })).status).toBe(403);
    expect((await rtmp('play', { call: 'play', name: locked, token: '9999999999.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' })).status).toBe(403);
    const view = (await (await t.app.request(`/api/rooms/${locked}/configuration`, { headers: { cookie: joined } })).json()) as { stream: { rtmp: string } };
    const url = new URL(view.stream.rtmp.replace(/^rtmp:/, 'http:'));
    expect(url.pathname).toBe(`/live/${locked}`);
    const token = url.searchParams.get('token')!;
    expect((await rtmp('play', { call: 'play', name: locked, token })).status).toBe(204);
    expect((await rtmp('update', { call: 'update_play', name: locked, token })).status).toBe(204);
    expect((await rtmp('play', { call: 'play', name: open, token })).status).toBe(204);
    // The token is the room's: it opens no other password room.
    const other = ((await (await t.app.request('/api/rooms', json({ name: 'Other', startUrl: 'https://example.org', password: PASSWORD }, admin))).json()) as { id: string }).id;
    expect((await rtmp('play', { call: 'play', name: other, token })).status).toBe(403);
    // Open rooms' URLs carry no token.
    const openView = (await (await t.app.request(`/api/rooms/${open}/configuration`)).json()) as { stream: { rtmp: string } };
    expect(openView.stream.rtmp).toMatch(new RegExp(`/live/${open}$`));
  });
});

describe('playback access, rooms on Kubernetes', () => {
  it('RTMP publish from a room\'s Pod (any address) needs the room key, and only it', async () => {
    // The encoders publish from their Pods' addresses, not from loopback (deploy/kubernetes/base/rtmp.yaml).
    const t = await makeTestApp(new FakeRuntime(), { env: { STREAMBOX_RUNTIME: 'kubernetes', STREAMBOX_K8S_ROOM_IMAGE: 'streambox-room:test' } });
    try {
      const admin = await t.login();
      const id = ((await (await t.app.request('/api/rooms', json({ name: 'Pod', startUrl: 'https://example.org' }, admin))).json()) as { id: string }).id;
      const publish = (fields: Record<string, string>) =>
        t.app.request('/api/playback/rtmp/publish', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ app: 'live', call: 'publish', name: id, addr: '10.244.1.17', ...fields }).toString() });
      expect((await publish({ key: t.ctx.media.playback.publishKey(id) })).status).toBe(204);
      expect((await publish({})).status).toBe(403);
      expect((await publish({ key: 'x'.repeat(43) })).status).toBe(403);
    } finally {
      t.close();
    }
  });
});

describe('playback tokens', () => {
  it('expire, and die with the password they were issued under', () => {
    const clock = { now: Date.parse('2026-12-01T10:20:00Z') };
    const keys = new PlaybackKeys('secret', () => clock.now);
    const room = { id: 'r'.repeat(24), passwordHash: 'scrypt$1' };
    const token = keys.playToken(room)!;
    expect(keys.mayPlay(room, token)).toBe(true);
    expect(keys.playToken(room), 'the same URL for the rest of the hour').toBe(token);
    expect(keys.mayPlay({ ...room, passwordHash: 'scrypt$2' }, token)).toBe(false);
    clock.now += 13 * 3600 * 1000;
    expect(keys.mayPlay(room, token)).toBe(false);
    expect(keys.playToken({ ...room, passwordHash: null })).toBeNull();
    expect(new PlaybackKeys('other').mayPlay(room, token)).toBe(false);
  });
});
