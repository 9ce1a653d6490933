/**
 * Issue 11 item 2 (review #2, #16): the audience path is bound to the room's access. Against the
 * booted appliance, the viewer on another host (a network namespace dialling the machine's own
 * address): a password room's HLS playlist and fragments and its RTMP stream give nothing without
 * access (the bodies are read: no media bytes), and play with it; an open room stays open and
 * cacheable; nobody publishes to a room without its key; the encoder's keys are in no process's
 * command line; one client address holds at most its share of the fast-path seats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bootAppliance, type Appliance } from '../harness/appliance.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { startPageServer, type PageServer } from '../support/pageServer.js';
import { eventually } from '../support/eventually.js';

const PORT = 8800;
const PASSWORD = 'watch-me-please';

interface RoomView {
  id: string;
  stream: { rtmp: string };
}

describe('the audience path, from another host', () => {
  let appliance: Appliance;
  let pages: PageServer;
  let ns: Netns;
  let admin = '';
  let open: RoomView;
  let locked: RoomView;
  let base = '';

  beforeAll(async () => {
    pages = await startPageServer();
    ns = await createNetns('viewer');
    appliance = await bootAppliance({ port: PORT });
    admin = await appliance.login();
    base = `http://${ns.hostAddress}:${PORT}`;
    const create = async (body: object) => {
      const res = await fetch(`${appliance.baseUrl}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: admin }, body: JSON.stringify(body) });
      expect(res.status).toBe(201);
      return (await res.json()) as RoomView;
    };
    open = await create({ name: 'open', startUrl: pages.url('/tone'), width: 640, height: 360 });
    locked = await create({ name: 'locked', startUrl: pages.url('/tone'), width: 640, height: 360, password: PASSWORD });
  }, 1_800_000);

  afterAll(async () => {
    await appliance?.stop();
    await ns?.teardown();
    await pages?.close();
  }, 120_000);

  /**
   * curl inside the viewer's namespace: status, headers and the body's first bytes (hex). The
   * headers go through a file: stderr is a socket here, which `-D /dev/stderr` cannot open (curl
   * 7.88 dies of SIGSEGV on it).
   */
  const curl = async (url: string, cookie?: string) => {
    const r = await ns.exec(['sh', '-c', `h=$(mktemp); curl -s -m 10 -D "$h" ${cookie ? `-H 'Cookie: ${cookie}'` : ''} '${url}' | head -c 4096 | od -v -An -tx1 | tr -d ' \\n'; cat "$h" >&2; rm -f "$h"`]);
    const status = Number(/^HTTP\/[\d.]+ (\d+)/m.exec(r.stderr)?.[1] ?? 0);
    const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(r.stderr)?.[1]?.trim() ?? null;
    return { status, header, hex: r.stdout.trim(), text: Buffer.from(r.stdout.trim(), 'hex').toString('latin1') };
  };
  /** An MPEG-TS body: sync byte 0x47 every 188 bytes. */
  const isTs = (hex: string) => hex.length >= 2 * 376 && hex.startsWith('47') && hex.slice(376, 378) === '47';
  const probe = async (url: string) => {
    const r = await ns.exec(['ffprobe', '-v', 'error', '-rw_timeout', '5000000', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url]);
    return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean).sort();
  };
  const playlistOf = (id: string, cookie = admin) =>
    eventually(`the HLS playlist of ${id}`, async () => (await fetch(`${appliance.baseUrl}/hls/${id}.m3u8`, { headers: { cookie } })).text(), (t) => t.startsWith('#EXTM3U') && /\.ts/.test(t), 30_000);

  it('refuses a password room\'s HLS playlist and fragments without access, and serves them with it', async () => {
    const fragment = /^(\S+\.ts)$/m.exec(await playlistOf(locked.id))![1]!;
    for (const path of [`${locked.id}.m3u8`, fragment]) {
      const res = await curl(`${base}/hls/${path}`);
      expect(res.status, path).toBe(401);
      expect(res.text).not.toContain('#EXTM3U');
      expect(isTs(res.hex), `${path}: no media bytes`).toBe(false);
      expect((await curl(`${base}/hls/${path}`, `sbx_room_${locked.id}=forged`)).status).toBe(401);
    }
    // Join from the viewer's host, as the room page does, then the same URLs play.
    const join = await ns.exec(['curl', '-s', '-m', '10', '-D', '-', '-o', '/dev/null', '-H', 'content-type: application/json', '--data', JSON.stringify({ password: PASSWORD }), `${base}/api/rooms/${locked.id}/join`]);
    const cookie = /^set-cookie: ([^;]+)/im.exec(join.stdout)?.[1];
    expect(cookie, join.stdout).toMatch(new RegExp(`^sbx_room_${locked.id}=`));
    const playlist = await curl(`${base}/hls/${locked.id}.m3u8`, cookie);
    expect(playlist.status).toBe(200);
    expect(playlist.text.startsWith('#EXTM3U')).toBe(true);
    expect(playlist.header('cache-control')).toBe('private, no-cache');
    const fresh = /^(\S+\.ts)$/m.exec(playlist.text)![1]!;
    const ts = await curl(`${base}/hls/${fresh}`, cookie);
    expect(ts.status).toBe(200);
    expect(isTs(ts.hex), `a TS fragment: ${ts.hex.slice(0, 40)}… (${ts.hex.length / 2} bytes)`).toBe(true);
    expect(ts.header('cache-control')).toBe('private, max-age=10');
    expect(ts.header('access-control-allow-origin')).toBeNull();
  }, 120_000);

  it('keeps an open room\'s HLS open and cacheable', async () => {
    const fragment = /^(\S+\.ts)$/m.exec(await playlistOf(open.id))![1]!;
    const playlist = await curl(`${base}/hls/${open.id}.m3u8`);
    expect(playlist.status).toBe(200);
    expect(playlist.header('cache-control')).toBe('no-cache');
    const ts = await curl(`${base}/hls/${fragment}`);
    expect(ts.status).toBe(200);
    expect(isTs(ts.hex), `a TS fragment: ${ts.hex.slice(0, 40)}… (${ts.hex.length / 2} bytes)`).toBe(true);
    expect(ts.header('cache-control')).toBe('public, max-age=10');
    expect(ts.header('access-control-allow-origin')).toBe('*');
    expect((await curl(`${base}/hls/aaaaaaaaaaaaaaaaaaaaaaaa.m3u8`)).status).toBe(403);
  }, 120_000);

  it('plays a password room over RTMP only with the token its Room view carries', async () => {
    const plain = `rtmp://${ns.hostAddress}:1935/live/${locked.id}`;
    await eventually('the open room over RTMP', () => probe(`rtmp://${ns.hostAddress}:1935/live/${open.id}`), (s) => s.join() === 'aac,h264', 30_000);
    expect(await probe(plain)).toEqual([]);
    expect(await probe(`${plain}?token=9999999999.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`)).toEqual([]);
    const view = (await (await fetch(`${appliance.baseUrl}/api/rooms/${locked.id}`, { headers: { cookie: admin } })).json()) as RoomView;
    expect(view.stream.rtmp).toMatch(/\?token=\d+\.[A-Za-z0-9_-]{32}$/);
    const withToken = view.stream.rtmp.replace(/^rtmp:\/\/[^/]+/, `rtmp://${ns.hostAddress}:1935`);
    expect(await eventually('the password room with its token', () => probe(withToken), (s) => s.length === 2, 20_000)).toEqual(['aac', 'h264']);
  }, 120_000);

  it('refuses a publish without the room key, and the room\'s own stream plays on', async () => {
    const inject = (name: string) => appliance.exec(['timeout', '15', 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '4', '-c:v', 'libx264', '-f', 'flv', `rtmp://127.0.0.1:1935/live/${name}`]);
    const fresh = 'aaaaaaaaaaaaaaaaaaaaaaaa';
    for (const name of [fresh, `${fresh}?key=${'x'.repeat(32)}`]) {
      await inject(name);
      expect(await probe(`rtmp://${ns.hostAddress}:1935/live/${fresh}`), `${name} was published`).toEqual([]);
    }
    // The open room's key is not the locked room's: a publish under it is refused, and nothing was replaced.
    const openKey = /key=([A-Za-z0-9_-]+)/.exec(readFileSync(`${appliance.roomsDir}/${open.id}.rtmp.ffpreset`, 'utf8'))![1]!;
    await inject(`${locked.id}?key=${openKey}`);
    const journal = await appliance.exec(['journalctl', '-u', 'streambox-admin', '--no-pager', '-o', 'cat']);
    expect(journal.stdout).toMatch(/RTMP publish refused/);
    expect(await probe(`rtmp://${ns.hostAddress}:1935/live/${open.id}`)).toEqual(['aac', 'h264']);
    const info = await ns.exec(['ffprobe', '-v', 'error', '-rw_timeout', '5000000', '-show_entries', 'stream=width', '-of', 'csv=p=0', `rtmp://${ns.hostAddress}:1935/live/${open.id}`]);
    expect(info.stdout.trim().split('\n')).toContain('640');
  }, 120_000);

  it('keeps the encoder\'s keys out of every command line and environment the room can read', async () => {
    const secrets = [open, locked].flatMap((r) => [
      /key=([A-Za-z0-9_-]+)/.exec(readFileSync(`${appliance.roomsDir}/${r.id}.rtmp.ffpreset`, 'utf8'))![1]!,
      /streambox_key=(\S+)/.exec(readFileSync(`${appliance.roomsDir}/${r.id}.ingest.meta`, 'utf8'))![1]!,
    ]);
    expect(secrets.every((s) => s.length >= 24)).toBe(true);
    // As root: every process's argv and environment (a superset of what the room's UID sees).
    const dump = await appliance.exec(['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " <$p/cmdline; echo; tr "\\0" " " <$p/environ; echo; done 2>/dev/null']);
    expect(dump.stdout).toMatch(/ffmpeg .*-fpre \/run\/credentials\/ffmpeg@/);
    for (const s of secrets) expect(dump.stdout.includes(s), 'a key in some process\'s argv or environment').toBe(false);
  }, 60_000);

  it('gives one client address at most its share of the fast-path seats', async () => {
    const script = `
      const { WebSocket } = require(${JSON.stringify(createRequire(import.meta.url).resolve('ws'))});
      const out = [];
      let left = 7;
      for (let i = 0; i < 7; i++) {
        const ws = new WebSocket('ws://${ns.hostAddress}:${PORT}/api/rooms/${open.id}/media', { headers: { origin: 'http://${ns.hostAddress}:${PORT}' } });
        let got = 'none';
        ws.on('message', (d, bin) => { if (!bin && got === 'none') got = JSON.parse(String(d)).type; });
        ws.on('close', (code) => { out.push(got + ':' + code); if (--left === 0) { console.log(out.sort().join(',')); process.exit(0); } });
        ws.on('error', () => {});
        setTimeout(() => ws.close(1000), 4000);
      }`;
    const r = await ns.exec(['node', '-e', script]);
    const results = r.stdout.trim().split(',');
    expect(results.filter((x) => x === 'init:1000'), r.stdout + r.stderr).toHaveLength(5);
    expect(results.filter((x) => x === 'full:4003')).toHaveLength(2);
  }, 60_000);
});
