/**
 * Faults the booted appliance survives (issue 13 part 5), each read back from what a viewer gets:
 * kill -9 of nginx (systemd restarts it; RTMP, HLS and the pages come back), kill -9 and a restart
 * of the admin service (the room's processes, its encoder included, are not restarted: the ingest
 * buffer holds the encoder's connections; the fast path plays again; the driver and a viewer rejoin
 * as who they were and the driver keeps control), kill -9 of the ingest buffer,
 * the system bus restarting (the admin service reconnects and drives rooms again), a full disk
 * under /var/lib/streambox (its own 256 MiB filesystem, filled from the host: 507, nothing made,
 * back once space returns), and the database intact after all of it. kill -9 of each room member is in rooms.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import type { Appliance } from '../harness/appliance.js';
import type { PageServer } from '../support/pageServer.js';
import { useBootedAppliance } from '../support/bootedAppliance.js';
import { eventually } from '../support/eventually.js';
import { fillUntilFull } from '../support/fillDisk.js';
import { joinRoom, type Member } from '../support/testApp.js';

const execFileP = promisify(execFile);
const PORT = 8800;
const SMALL = { width: 640, height: 360, fps: 15 };

/** The stream's tracks as ffprobe reads them from RTMP (empty when it does not play). */
async function rtmpTracks(url: string): Promise<number> {
  const { stdout } = await execFileP('ffprobe', ['-v', 'error', '-rw_timeout', '5000000', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', url], { timeout: 15_000 });
  return stdout.trim().split('\n').filter(Boolean).length;
}

/** Resolves when a video frame arrives on the fast path (binary message after the JSON setup). */
function firstFastFrame(url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no fast-path frame within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      clearTimeout(timer);
      ws.close();
      resolve();
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe('faults the appliance survives', () => {
  // /var/lib/streambox on a 256 MiB filesystem of its own, for the full disk at the end.
  const booted = useBootedAppliance(PORT, { dataDiskMiB: 256 });
  const { api } = booted;
  let appliance: Appliance;
  let pages: PageServer;
  let roomId: string;

  beforeAll(async () => {
    ({ appliance, pages } = booted);
    const res = await api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: 'faults', startUrl: pages.url('/tone'), ...SMALL }) });
    expect(res.status).toBe(201);
    roomId = ((await res.json()) as { id: string }).id;
    await eventually('the room streams', () => rtmpTracks(rtmp()), (n) => n === 2, 30_000);
  }, 60_000);
  const rtmp = () => `rtmp://127.0.0.1:1935/live/${roomId}`;
  const sh = async (script: string) => (await appliance.exec(['sh', '-c', script])).stdout.trim();
  const mainPid = (unit: string) => sh(`systemctl show -p MainPID --value ${unit}`);
  const healthy = async () => {
    try {
      const res = await fetch(`${appliance.baseUrl}/api/health`);
      return res.ok ? ((await res.json()) as { ok: boolean; runtime: { ok: boolean } }) : null;
    } catch {
      return null;
    }
  };

  it('kill -9 of nginx: systemd brings it back, and RTMP, HLS and the pages come back with it', async () => {
    const pid = await mainPid('nginx.service');
    expect(Number(pid)).toBeGreaterThan(0);
    const killedAt = Date.now();
    await sh(`kill -9 ${pid}`);
    await eventually('nginx running again', () => mainPid('nginx.service'), (p) => p !== pid && p !== '0', 20_000);
    await eventually('the dashboard answering through nginx', healthy, (h) => h?.ok === true, 20_000);
    await eventually('the room on RTMP again', () => rtmpTracks(rtmp()).catch(() => 0), (n) => n === 2, 30_000);
    const playlist = await eventually('a fresh HLS playlist', async () => (await fetch(`${appliance.baseUrl}/hls/${roomId}.m3u8`)).text(), (t) => t.startsWith('#EXTM3U') && /#EXTINF/.test(t), 30_000);
    expect(playlist).toMatch(/#EXTINF/);
    console.log(`nginx: RTMP and HLS back ${Date.now() - killedAt} ms after kill -9`);
  }, 120_000);

  const fastFrame = () =>
    firstFastFrame(`${appliance.baseUrl.replace(/^http/, 'ws')}/api/rooms/${roomId}/media`, 20_000).catch(async (err: Error) => {
      const journal = await sh(`journalctl -u ffmpeg@${roomId} -u streambox-admin -u streambox-ingest --since=-60s --no-pager -o short-monotonic | tail -40; systemctl status ffmpeg@${roomId} --no-pager | head -5`);
      throw new Error(`${err.message}\n${journal}`);
    });
  const encoder = async () => ({ pid: await mainPid(`ffmpeg@${roomId}.service`), restarts: Number(await sh(`systemctl show -p NRestarts --value ffmpeg@${roomId}.service`)) });

  it('kill -9 and a restart of the admin service: the room keeps every process, its encoder included, and the fast path plays again', async () => {
    const [adminPid, browserPid, displayPid] = [await mainPid('streambox-admin.service'), await mainPid(`browser@${roomId}.service`), await mainPid(`xvfb@${roomId}.service`)];
    const before = await encoder();
    const figures: string[] = [];
    for (const [how, act] of [['kill -9', () => sh(`kill -9 ${adminPid}`)], ['systemctl restart', () => sh('systemctl restart streambox-admin.service')]] as const) {
      const at = Date.now();
      await act();
      await eventually('the admin service back', healthy, (h) => h?.ok === true && h.runtime.ok, 30_000);
      const back = Date.now() - at;
      await fastFrame();
      figures.push(`${how}: back ${back} ms, fast path playing ${Date.now() - at} ms after`);
    }
    // Nothing of the room was touched: same display, same browser (its page state kept), and the
    // same encoder: the ingest buffer held its connections (RTMP and HLS never blinked).
    expect(await mainPid(`browser@${roomId}.service`)).toBe(browserPid);
    expect(await mainPid(`xvfb@${roomId}.service`)).toBe(displayPid);
    const after = await encoder();
    console.log(`admin: ${figures.join('; ')}; encoder restarts ${after.restarts - before.restarts}`);
    expect(after).toEqual(before);
    expect(await sh(`systemctl is-active room@${roomId}.target`)).toBe('active');
    const room = (await (await api(`/api/rooms/${roomId}`)).json()) as { status: { state: string } };
    expect(room.status.state).toBe('live');
  }, 120_000);

  it('kill -9 and a restart of the admin service: the driver and a viewer come back as who they were, and the driver keeps control', async () => {
    const host = new URL(appliance.baseUrl).host;
    const holderOf = (m: Member) => m.next((msg) => msg.type === 'state' && (msg as { holder: string | null }).holder !== null, 15_000).then((msg) => (msg as { holder: string }).holder);
    let ana = await joinRoom(host, roomId, 'Ana');
    expect(await holderOf(ana)).toBe(ana.you.id);
    let bo = await joinRoom(host, roomId, 'Bo');
    const adminPid = await mainPid('streambox-admin.service');
    for (const [how, act] of [['kill -9', () => sh(`kill -9 ${adminPid}`)], ['systemctl restart', () => sh('systemctl restart streambox-admin.service')]] as const) {
      const closed = Promise.all([ana, bo].map((m) => new Promise((resolve) => m.ws.once('close', resolve))));
      const at = Date.now();
      await act();
      await closed;
      await eventually('the admin service back', healthy, (h) => h?.ok === true && h.runtime.ok, 30_000);
      // The viewer is back first and asks: the driver's seat waits for the driver.
      const bo2 = await joinRoom(host, roomId, 'Bo', undefined, `${bo.you.id}.${bo.you.key}`);
      expect(bo2.you.id, how).toBe(bo.you.id);
      bo2.send({ type: 'request' });
      await bo2.next((msg) => msg.type === 'state' && (msg as { requests: string[] }).requests.includes(bo.you.id), 10_000);
      const ana2 = await joinRoom(host, roomId, 'Ana', undefined, `${ana.you.id}.${ana.you.key}`);
      expect(ana2.you.id, how).toBe(ana.you.id);
      expect(await holderOf(bo2), how).toBe(ana.you.id);
      // The driver drives again: a VNC token with the new key.
      const token = await fetch(`${appliance.baseUrl}/api/rooms/${roomId}/vnc-token`, { method: 'POST', headers: { 'content-type': 'application/json', origin: appliance.baseUrl }, body: JSON.stringify({ participantId: ana2.you.id, participantKey: ana2.you.key }) });
      expect(token.status, how).toBe(200);
      console.log(`admin ${how}: driver back in control ${Date.now() - at} ms after`);
      [ana, bo] = [ana2, bo2];
    }
    for (const m of [ana, bo]) m.ws.close();
  }, 120_000);

  it('kill -9 of the ingest buffer: systemd brings it back, the encoder reconnects, and the fast path plays again', async () => {
    const pid = await mainPid('streambox-ingest.service');
    expect(Number(pid)).toBeGreaterThan(0);
    const before = await encoder();
    const at = Date.now();
    await sh(`kill -9 ${pid}`);
    await eventually('the ingest buffer running again', () => mainPid('streambox-ingest.service'), (p) => p !== pid && p !== '0', 20_000);
    // Its connections went with it: the encoder fails and restarts (as with nginx), once.
    await eventually('the encoder restarted', encoder, (e) => e.pid !== before.pid && e.pid !== '0', 20_000);
    await eventually('the fast path playing again', () => fastFrame().then(() => true), (ok) => ok, 30_000, 500);
    console.log(`ingest buffer: fast path playing ${Date.now() - at} ms after kill -9; encoder restarts ${(await encoder()).restarts - before.restarts}`);
    await eventually('the room on RTMP again', () => rtmpTracks(rtmp()).catch(() => 0), (n) => n === 2, 30_000);
  }, 120_000);

  it('the system bus restarting: the admin service reconnects and drives rooms again', async () => {
    await sh('systemctl restart dbus.service');
    await eventually('the runtime reachable again', healthy, (h) => h?.runtime.ok === true, 30_000);
    const res = await api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: 'after the bus', startUrl: pages.url('/tone'), ...SMALL }) });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(await sh(`systemctl is-active room@${id}.target`)).toBe('active');
    // Status follows the new connection's signals: a stop shows as stopped.
    expect((await api(`/api/rooms/${id}/stop`, { method: 'POST' })).status).toBe(200);
    await eventually('the stopped room reads stopped', async () => ((await (await api(`/api/rooms/${id}`)).json()) as { status: { state: string } }).status.state, (s) => s === 'stopped', 10_000);
    expect((await api(`/api/rooms/${id}`, { method: 'DELETE' })).status).toBe(204);
  }, 120_000);

  it('a reboot of the appliance: the rooms that should run run again, a stopped room stays stopped', async () => {
    const res = await api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: 'stays stopped', startUrl: pages.url('/tone'), ...SMALL }) });
    expect(res.status, await res.clone().text()).toBe(201);
    const stopped = ((await res.json()) as { id: string }).id;
    expect((await api(`/api/rooms/${stopped}/stop`, { method: 'POST' })).status).toBe(200);
    const at = Date.now();
    await appliance.reboot();
    await eventually('the room on RTMP after the reboot', () => rtmpTracks(rtmp()).catch(() => 0), (n) => n === 2, 60_000, 1000);
    const back = Date.now() - at;
    await fastFrame();
    const state = async (id: string) => ((await (await api(`/api/rooms/${id}`)).json()) as { status: { state: string } }).status.state;
    expect(await state(roomId)).toBe('live');
    expect(await state(stopped)).toBe('stopped');
    expect(await sh(`systemctl is-active room@${stopped}.target`)).not.toBe('active');
    console.log(`reboot: the running room streams again ${back} ms after the power-off began`);
    expect((await api(`/api/rooms/${stopped}`, { method: 'DELETE' })).status).toBe(204);
  }, 240_000);

  it('a full disk under /var/lib/streambox: CreateRoom is refused with 507 and makes nothing, the service and the room go on, and it works once space returns', async () => {
    const create = (name: string) => api('/api/rooms', { method: 'POST', body: JSON.stringify({ name, startUrl: pages.url('/tone'), ...SMALL }) });
    const state = async (id: string) => ((await (await api(`/api/rooms/${id}`)).json()) as { status: { state: string } }).status.state;
    const made = async () => ({
      rooms: ((await (await api('/api/rooms')).json()) as { rooms: unknown[] }).rooms.length,
      envFiles: readdirSync(appliance.roomsDir).filter((f) => f.endsWith('.env')).length,
      units: Number(await sh("systemctl list-units --all --plain --no-legend 'room@*' | wc -l")),
    });
    const before = await made();
    const adminPid = await mainPid('streambox-admin.service');
    // Fill it from the host, as a runaway recording would.
    const filler = join(appliance.stateDir, 'var-lib', 'filler');
    fillUntilFull(filler, 1024 * 1024);
    try {
      expect(await sh('df --output=avail /var/lib/streambox | tail -1'), 'nothing left inside the appliance').toBe('0');
      const refused = await create('on a full disk');
      expect(refused.status).toBe(507);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('storage_full');
      expect(body.error.message).toMatch(/disk is full.*nothing was changed/);
      expect(await made(), 'no row, env file or unit for it').toEqual(before);
      expect(await mainPid('streambox-admin.service'), 'the admin service did not crash').toBe(adminPid);
      expect(await state(roomId), 'the running room goes on').toBe('live');
    } finally {
      rmSync(filler);
    }
    const after = await create('after space returned');
    expect(after.status).toBe(201);
    const afterId = ((await after.json()) as { id: string }).id;
    await eventually('the new room live', () => state(afterId), (s) => s === 'live', 60_000);
    expect((await made()).rooms).toBe(before.rooms + 1);
  }, 120_000);

  it('leaves the database intact after all of it', async () => {
    const check = await appliance.exec(['node', '-e', "const D = require('/opt/streambox/node_modules/better-sqlite3'); const db = new D('/var/lib/streambox/streambox.db', { readonly: true }); console.log(db.pragma('integrity_check', { simple: true }))"]);
    expect(check.stdout.trim(), check.stderr).toBe('ok');
  });
});
