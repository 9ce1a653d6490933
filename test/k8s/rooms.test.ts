/**
 * What the admin service asks of the Kubernetes runtime beyond the contract, against the fake API
 * server (test/support/fakeKubeApi.ts; why a fake: see test/k8s/runtime.test.ts): the recorder's
 * Pod, its owners and where it plays the room from, a kept browser profile on its own claim, the
 * admin API end to end, and the admin service itself (server/main.ts) started with
 * STREAMBOX_RUNTIME=kubernetes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RuntimeJobError } from '../../server/runtime/types.js';
import { spec } from '../support/runtimeContract.js';
import { NAMESPACE, roomPodName, startKubeBench, type KubeBench } from '../support/kubeHarness.js';
import { eventually } from '../support/eventually.js';
import { makeTestApp, json, ADMIN_PASSWORD } from '../support/testApp.js';
import { freePort } from '../support/freePort.js';
import { CRASH_LIMIT } from '../../server/runtime/kubernetes/podState.js';
import type { Obj } from '../support/fakeKubeStore.js';

type PodObj = Obj & { spec: { containers: Array<{ name: string; volumeMounts?: Array<{ name: string; mountPath: string }> }>; volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> } };

let bench: KubeBench;
const get = (resource: string, name: string) => bench.api.store.get(resource, NAMESPACE, name) as PodObj;

beforeAll(async () => {
  bench = await startKubeBench();
});

afterAll(async () => {
  await bench?.close();
});

describe('the recorder on Kubernetes', () => {
  it('runs as its own Pod owned by the room, with its token in a Secret, and stops for good', async () => {
    const s = spec();
    await bench.runtime.start(s);
    const recording = { roomId: s.id, sourceUrl: `rtmp://streambox-rtmp:1935/live/${s.id}?token=tok-123`, outputPath: `/var/lib/streambox/recordings/${s.id}/current.mp4` };
    await bench.runtime.startRecording(recording);
    expect(await bench.runtime.isRecording(s.id)).toBe(true);
    const recorder = get('pods', `recorder-${s.id}`);
    expect(recorder.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Pod', name: roomPodName(s.id), uid: get('pods', roomPodName(s.id)).metadata.uid })]);
    expect(JSON.stringify(recorder)).not.toContain('tok-123');
    expect(bench.secretValue(`recorder-${s.id}`, 'RECORD_SOURCE_URL')).toBe(recording.sourceUrl);
    await bench.runtime.stopRecording(s.id);
    expect(await bench.runtime.isRecording(s.id)).toBe(false);
    expect(bench.objectsOf(s.id).sort()).toEqual([`pods/${roomPodName(s.id)}`, `secrets/${roomPodName(s.id)}`]);

    // Recording again, then the room's Pod deleted by hand: the recorder and its Secret go with it.
    await bench.runtime.startRecording(recording);
    bench.api.store.delete('pods', NAMESPACE, roomPodName(s.id), 0);
    await eventually('the recorder collected with its room', async () => bench.objectsOf(s.id), (left) => left.length === 0);
  });

  it('a recording started through the admin API plays from nginx-rtmp\'s Service, with the room\'s token', async () => {
    // STREAMBOX_K8S_RTMP_URL is where the encoders publish; the recorder's Pod has no nginx on its loopback.
    const env = { STREAMBOX_RUNTIME: 'kubernetes', STREAMBOX_K8S_ROOM_IMAGE: 'streambox-room:test', STREAMBOX_K8S_RTMP_URL: 'rtmp://rtmp.streambox.svc:1935/live' };
    const t = await makeTestApp(bench.runtime, { env });
    try {
      const cookie = await t.login();
      const room = await (await t.app.request('/api/rooms', json({ name: 'rec', startUrl: 'https://example.org/', password: 'open sesame' }, cookie))).json();
      expect(room.status.state).toBe('live');
      expect((await t.app.request(`/api/rooms/${room.id}/recording/start`, json({}, cookie))).status).toBe(201);
      const source = bench.secretValue(`recorder-${room.id}`, 'RECORD_SOURCE_URL');
      // A password room's stream is played with a playback token (nginx-rtmp's on_play asks the admin service).
      expect(source).toMatch(new RegExp(`^rtmp://rtmp\\.streambox\\.svc:1935/live/${room.id}\\?token=\\d+\\.[A-Za-z0-9_-]{32}$`));
      expect(JSON.stringify(get('pods', `recorder-${room.id}`))).not.toContain('token=');
      expect((await t.app.request(`/api/rooms/${room.id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
      expect(bench.objectsOf(room.id)).toEqual([]);
    } finally {
      t.close();
    }
  }, 30_000);

  it('refuses to record a room that does not run', async () => {
    const err = await bench.runtime.startRecording({ roomId: spec().id, sourceUrl: 'rtmp://x/live/y', outputPath: '/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeJobError);
    expect((err as Error).message).toMatch(/not running/);
  });
});

describe('keep logins on Kubernetes', () => {
  it('keeps the profile on a claim of its own across stops, and removes it only when stopped', async () => {
    const s = { ...spec(), keepLogins: true };
    await bench.runtime.start(s);
    const pod = get('pods', roomPodName(s.id));
    expect(pod.spec.volumes).toContainEqual({ name: 'profile', persistentVolumeClaim: { claimName: `profile-${s.id}` } });
    expect(pod.spec.containers.find((c) => c.name === 'browser')?.volumeMounts).toContainEqual(expect.objectContaining({ name: 'profile', mountPath: `/var/lib/streambox/profiles/${s.id}` }));
    expect(bench.secretValue(roomPodName(s.id), 'ROOM_PROFILE_DIR')).toBe(`/var/lib/streambox/profiles/${s.id}`);
    // Like systemd's CleanUnit of a unit that runs: refused, naming the browser.
    await expect(bench.runtime.cleanProfile(s.id)).rejects.toMatchObject({ result: 'clean-failed', role: 'browser' });
    await bench.runtime.stop(s.id);
    expect(bench.objectsOf(s.id)).toEqual([`persistentvolumeclaims/profile-${s.id}`]);
    await bench.runtime.start(s); // the same claim again
    await bench.runtime.stop(s.id);
    await bench.runtime.remove(s.id);
    expect(bench.objectsOf(s.id)).toEqual([]);
    await expect(bench.runtime.remove(s.id)).resolves.toBeUndefined();
  });
});

describe('the admin API on the Kubernetes runtime', () => {
  it('create, show and delete drive Pods; a failing member is named', async () => {
    const t = await makeTestApp(bench.runtime);
    const cookie = await t.login();
    const created = await t.app.request('/api/rooms', json({ name: 'real', startUrl: 'https://example.org/' }, cookie));
    expect(created.status).toBe(201);
    const room = await created.json();
    expect(room.status.state).toBe('live');
    expect(get('pods', roomPodName(room.id)).metadata.labels).toMatchObject({ 'streambox.io/room': room.id });

    const broken = await (await t.app.request('/api/rooms', json({ name: 'broken', startUrl: 'https://example.org/' }, cookie))).json();
    bench.kubelet.failContainer(roomPodName(broken.id), 'browser', { exitCode: 3, restarts: CRASH_LIMIT });
    const shown = await eventually('failed state via the API', async () => (await t.app.request(`/api/rooms/${broken.id}`, { headers: { cookie } })).json(), (r) => r.status.state === 'failed');
    expect(shown.status.failure).toMatchObject({ role: 'browser', unit: `${roomPodName(broken.id)}/browser`, reason: 'exited with an error' });

    for (const id of [room.id, broken.id]) {
      expect((await t.app.request(`/api/rooms/${id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
      expect(bench.objectsOf(id)).toEqual([]);
      expect((await t.app.request(`/api/rooms/${id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(404);
    }
    t.close();
  }, 30_000);
});

describe('the admin service with STREAMBOX_RUNTIME=kubernetes', () => {
  it('reconciles at start (an unknown room stopped), and a CreateRoom makes the Pod', async () => {
    const orphan = spec();
    await bench.runtime.start(orphan);
    const dir = await mkdtemp(join(tmpdir(), 'sbx-admin-k8s-'));
    await writeFile(join(dir, 'admin-password'), `${ADMIN_PASSWORD}\n`);
    const port = await freePort();
    const root = resolve(import.meta.dirname, '..', '..');
    const env = {
      PATH: process.env.PATH ?? '',
      STREAMBOX_RUNTIME: 'kubernetes',
      STREAMBOX_K8S_KUBECONFIG: bench.kubeconfig,
      STREAMBOX_K8S_ROOM_IMAGE: 'streambox-room:test',
      STREAMBOX_DATA_DIR: dir,
      STREAMBOX_ADMIN_PASSWORD_FILE: join(dir, 'admin-password'),
      STREAMBOX_ROOMS_ENV_DIR: join(dir, 'rooms'),
      STREAMBOX_ADMIN_LISTEN: `127.0.0.1:${port}`,
      STREAMBOX_INGEST_LISTEN: `127.0.0.1:${await freePort()}`,
      STREAMBOX_METRICS_LISTEN: 'off',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'server', 'main.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      const health = await eventually('the admin service answers', async () => (await fetch(`${base}/api/health`)).json(), (h) => h.ok === true, 30_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      });
      expect(JSON.stringify(health)).toMatch(/Kubernetes v1\.31\.0-fake, namespace streambox/);
      await eventually('the unknown room stopped by reconcile', async () => bench.objectsOf(orphan.id), (left) => left.length === 0);
      const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: ADMIN_PASSWORD }) });
      const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const created = await fetch(`${base}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'from main', startUrl: 'https://example.org/' }) });
      expect(created.status).toBe(201);
      const room = (await created.json()) as { id: string; status: { state: string } };
      expect(room.status.state).toBe('live');
      expect(get('pods', roomPodName(room.id)).metadata.labels).toMatchObject({ 'streambox.io/room': room.id });
      expect((await fetch(`${base}/api/rooms/${room.id}`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
      expect(bench.objectsOf(room.id)).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
