/**
 * Recording on the booted appliance (issue 14 part 5): a password room (the recorder plays the
 * room's RTMP stream with a playback token, as nginx-rtmp's on_play demands) is recorded for
 * ~7 s, stopped and downloaded; ffprobe (on this host, on the downloaded bytes) finds H.264 and
 * AAC and the duration of the wall-clock time recorded within 1.5 s. A recorder killed with
 * SIGKILL mid-way leaves a file that still plays up to its last fragment, and the recording reads
 * ended with the reason. A restart of the admin service mid-way takes the recording up again (the
 * recorder runs on). Deleting the room removes every file, the recorder's env file, and the
 * unit stays inactive. The recorder runs as its own dynamic user, the files are the admin's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useBootedAppliance } from '../support/bootedAppliance.js';
import { eventually } from '../support/eventually.js';

const SMALL = { width: 640, height: 360, fps: 15 };
const RECORD_MS = 7000;

interface Recording {
  id: string;
  active: boolean;
  bytes: number;
  durationSeconds: number | null;
  tracks: string[];
}

function ffprobe(path: string): { duration: number; streams: Array<{ codec_type: string; codec_name: string }> } {
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name', '-of', 'json', path], { encoding: 'utf8' }));
  return { duration: Number(out.format.duration), streams: out.streams };
}

describe('recording a room', () => {
  const booted = useBootedAppliance(8800);
  const { api } = booted;
  const sh = async (script: string) => (await booted.appliance.exec(['sh', '-c', script])).stdout.trim();
  const tmp = mkdtempSync(join(tmpdir(), 'sbx-recording-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let roomId = '';

  const action = async (what: 'start' | 'stop') => {
    const res = await api(`/api/rooms/${roomId}/recording/${what}`, { method: 'POST', body: '{}' });
    expect(res.status, `${what}: ${await res.clone().text()}`).toBe(what === 'start' ? 201 : 200);
    return (await res.json()).recording as { id: string; startedAt: string };
  };
  const list = async () => (await (await api(`/api/rooms/${roomId}/recordings`)).json()) as { recording: { active: boolean; reason: string | null }; recordings: Recording[] };
  const download = async (id: string) => {
    const res = await api(`/api/rooms/${roomId}/recordings/${id}`);
    expect(res.status).toBe(200);
    const path = join(tmp, `${id}.mp4`);
    writeFileSync(path, Buffer.from(await res.arrayBuffer()));
    return path;
  };

  it('passes systemd-analyze verify for the recorder unit', async () => {
    const verify = await booted.appliance.exec(['systemd-analyze', 'verify', '/usr/local/lib/systemd/system/recorder@.service']);
    expect(verify.stderr.trim() + verify.stdout.trim(), 'systemd-analyze verify output').toBe('');
    expect(verify.code).toBe(0);
  });

  it('records a live password room: both tracks, the duration recorded, the admin owns the file', async () => {
    const res = await api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: 'rec', startUrl: booted.pages.url('/tone'), password: 'record me please', ...SMALL }) });
    expect(res.status).toBe(201);
    roomId = ((await res.json()) as { id: string }).id;
    await eventually('the room to be live', async () => (await (await api(`/api/rooms/${roomId}`)).json()).status.state, (s) => s === 'live', 60_000, 500);
    // The stream itself (nginx-rtmp has it once the encoder published).
    await eventually('the HLS playlist', () => sh(`ls /run/streambox-hls/ | grep -c ${roomId} || true`), (n) => Number(n) > 1, 30_000, 500);

    const started = await action('start');
    const t0 = Date.now();
    expect((await list()).recording.active).toBe(true);
    await new Promise((r) => setTimeout(r, RECORD_MS));
    expect(await sh(`systemctl show -p User --value recorder@${roomId}.service`)).toBe(`sbrec-${roomId}`);
    const uids = await sh(`awk '/^Uid:/ { print $2 }' /proc/$(systemctl show -p MainPID --value recorder@${roomId}.service)/status; id -u streambox`);
    expect(new Set(uids.split('\n')).size, `recorder and admin UIDs: ${uids}`).toBe(2);
    const security = await sh(`systemd-analyze security --no-pager recorder@${roomId}.service`);
    const score = /Overall exposure level for recorder@\S+: ([\d.]+)/.exec(security)?.[1];
    console.log(`systemd-analyze security recorder@ID.service: ${score}\n${security.split('\n').filter((l) => l.startsWith('✗')).join('\n')}`);
    expect(Number(score), security).toBeLessThan(2);
    const stopped = await action('stop');
    const wall = (Date.now() - t0) / 1000;
    expect(stopped.id).toBe(started.id);
    const owner = await sh(`stat -c '%U %a' /var/lib/streambox/recordings/${roomId}/${started.id}.mp4`);
    expect(owner).toBe('streambox 600');

    const [rec] = (await list()).recordings;
    console.log(`recorded ${wall.toFixed(1)} s of wall clock: ${JSON.stringify(rec)}`);
    expect(rec).toMatchObject({ id: started.id, active: false, tracks: ['video', 'audio'] });
    const info = ffprobe(await download(started.id));
    expect(info.streams.map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual(['video:h264', 'audio:aac']);
    expect(Math.abs(info.duration - wall), `duration ${info.duration} s vs ${wall} s recorded`).toBeLessThan(1.5);
    expect(Math.abs((rec!.durationSeconds ?? 0) - info.duration)).toBeLessThan(0.2);
  }, 180_000);

  it('a recorder killed with SIGKILL leaves a file that plays up to its last fragment', async () => {
    const started = await action('start');
    await new Promise((r) => setTimeout(r, 4000));
    await sh(`systemctl kill -s KILL recorder@${roomId}.service`);
    const after = await eventually('the recording to read ended', list, (l) => !l.recording.active, 15_000, 250);
    expect(after.recording.reason).toMatch(/recording stopped/);
    const rec = after.recordings.find((r) => r.id === started.id)!;
    console.log(`killed after ~4 s: ${JSON.stringify(rec)}`);
    expect(rec.tracks).toEqual(['video', 'audio']);
    const info = ffprobe(await download(started.id));
    expect(info.streams).toHaveLength(2);
    expect(info.duration).toBeGreaterThan(2.5);
    expect(info.duration).toBeLessThan(5.5);
    // And the next recording starts (the failed unit does not stand in the way).
    await action('start');
    await new Promise((r) => setTimeout(r, 2500)); // past the recorder's first fragment: an empty recording is not kept
    await action('stop');
    expect((await list()).recordings).toHaveLength(3);
  }, 120_000);

  it('a restart of the admin service takes up the recording still going, and stops it', async () => {
    const before = (await list()).recordings.length;
    await action('start');
    await new Promise((r) => setTimeout(r, 3000));
    const recorderPid = await sh(`systemctl show -p MainPID --value recorder@${roomId}.service`);
    await sh('systemctl restart streambox-admin.service');
    await eventually('the admin service back', async () => (await fetch(`${booted.appliance.baseUrl}/api/health`)).status, (s) => s === 200, 30_000, 250);
    const taken = await eventually('the recording taken up', list, (l) => l.recording.active, 15_000, 250);
    expect(taken.recordings.filter((r) => r.active)).toHaveLength(1);
    expect(await sh(`systemctl show -p MainPID --value recorder@${roomId}.service`), 'the same recorder ran on').toBe(recorderPid);
    await new Promise((r) => setTimeout(r, 2000));
    const stopped = await action('stop');
    const after = await list();
    expect(after.recordings).toHaveLength(before + 1);
    const rec = after.recordings.find((r) => r.id === stopped.id)!;
    console.log(`through an admin restart: ${JSON.stringify(rec)}`);
    expect(rec).toMatchObject({ active: false, tracks: ['video', 'audio'] });
    expect(rec.durationSeconds).toBeGreaterThan(4);
  }, 120_000);

  it('deleting the room removes its recordings, and the recorder with it', async () => {
    await action('start');
    expect((await api(`/api/rooms/${roomId}`, { method: 'DELETE' })).status).toBe(204);
    expect(await sh(`ls /var/lib/streambox/recordings/ | grep -c ${roomId} || true`)).toBe('0');
    expect(await sh(`ls /etc/streambox/rooms/ | grep -c ${roomId} || true`)).toBe('0');
    expect(await sh(`systemctl is-active recorder@${roomId}.service || true`)).toBe('inactive');
  }, 120_000);
});
