/**
 * A room on Kubernetes, run for real as far as this machine allows (issue 16, docs/kubernetes.md):
 *
 * - the admin service (the real app, real SQLite) with the kubernetes runtime, which talks to an
 *   in-process fake API server: no Kubernetes API server can be installed here (none is packaged
 *   for Debian or npm; they all download binaries or images). test/k8s checks the fake against the
 *   documented API;
 * - the node's kubelet played by podman (test/support/podmanKubelet.ts): the room's Pod and
 *   Secret, exactly as the runtime sent them, run under `podman kube play` (Debian 12's podman
 *   4.3, runc), its five containers from the room image that image/oci/build.sh makes of the
 *   appliance root;
 * - nginx-rtmp from the admin image with deploy/kubernetes/'s own nginx.conf, the admin service's
 *   Service name replaced by its address here; the pods reach it, and the admin service's ingest,
 *   across a podman network as a room's Pod reaches the Services in a cluster.
 *
 * Read back: the stream on RTMP is 1080p30 H.264 + AAC with sound and motion; HLS plays; the fast
 * path relays it; input over x11vnc's TCP port in the Pod lands on the Pod's X server; a killed
 * container is restarted by the Pod's restart policy and the stream comes back; deleting the room
 * leaves no Pod, Secret or container.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { serve, type ServerType } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { REPO_ROOT, requireTools, runCommand } from '../harness/container.js';
import { FakeKubeApi } from '../support/fakeKubeApi.js';
import { PodmanKubelet } from '../support/podmanKubelet.js';
import { startPageServer, type PageServer } from '../support/pageServer.js';
import { joinRoom, makeTestApp, json, type TestApp } from '../support/testApp.js';
import { RfbOverWs } from '../vnc/rfbClient.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/freePort.js';
import { fastPathSample, frameHashes, meanVolume, probe } from '../support/streamChecks.js';
import { KubernetesRuntime } from '../../server/runtime/kubernetes/runtime.js';
import { MEASURED_COST, roomCost } from '../../server/rooms/capacity.js';
import { createIngestServer } from '../../server/media/ingestServer.js';
import { silentLogger } from '../../server/log.js';
import { openAuthenticated, pointerEvent } from '../../server/vnc/rfb.js';
import { roomPodName, roomSecretName } from '../../server/runtime/kubernetes/names.js';
import { VNC_PORT } from '../../server/runtime/kubernetes/members.js';

const exec = promisify(execFile);
const NAMESPACE = 'streambox';
const NET = `sbx-pod-${process.pid}`;
const SUBNET = '10.89.77';
const GATEWAY = `${SUBNET}.1`; // this machine, on the pods' network: where the admin service listens
const RTMP_IP = `${SUBNET}.10`; // nginx-rtmp's container (the Service `streambox-rtmp`)
const RTMP_NAME = `sbx-rtmp-${process.pid}`;
const XSTATE = readFileSync(join(REPO_ROOT, 'test', 'support', 'xstate.py'), 'utf8');

/** Listens on GATEWAY:port (null: the server was told where already), or fails saying why. */
function listenOn(server: Server, port: number | null): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (server.listening) return resolve();
    server.once('listening', () => resolve());
    if (port !== null) server.listen(port, GATEWAY);
  });
}

interface RtmpManifests {
  conf: string;
  container: { command: string[]; securityContext: { readOnlyRootFilesystem?: boolean }; volumeMounts: Array<{ name: string; mountPath: string }> };
  user: number;
  volumes: Array<{ name: string; configMap?: unknown; emptyDir?: unknown }>;
}

/** deploy/kubernetes/base/rtmp.yaml: its ConfigMap's nginx.conf and its Deployment's nginx container. */
function rtmpManifests(): RtmpManifests {
  type Doc = { kind: string; data?: Record<string, string>; spec?: { template: { spec: { securityContext: { runAsUser: number }; containers: RtmpManifests['container'][]; volumes: RtmpManifests['volumes'] } } } };
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'kubernetes', 'base', 'rtmp.yaml'), 'utf8')).map((d) => d.toJS() as Doc);
  const pod = docs.find((d) => d.kind === 'Deployment')!.spec!.template.spec;
  return { conf: docs.find((d) => d.kind === 'ConfigMap')!.data!['nginx.conf']!, container: pod.containers[0]!, user: pod.securityContext.runAsUser, volumes: pod.volumes };
}

/** `podman run` of nginx-rtmp as the Deployment runs it, its config asking the admin service at `admin`. */
function rtmpRunArgs(m: RtmpManifests, admin: string, work: string, image: string): string[] {
  expect(m.conf).toContain('http://streambox-admin:8080/');
  writeFileSync(join(work, 'nginx.conf'), m.conf.replaceAll('http://streambox-admin:8080/', `http://${admin}/`));
  const args = ['--user', `${m.user}:${m.user}`, '--cap-drop', 'ALL', ...(m.container.securityContext.readOnlyRootFilesystem ? ['--read-only'] : [])];
  for (const mount of m.container.volumeMounts) {
    const volume = m.volumes.find((v) => v.name === mount.name)!;
    if (volume.configMap) args.push('-v', `${work}/nginx.conf:${mount.mountPath}/nginx.conf:ro`);
    else if (volume.emptyDir) args.push('--tmpfs', `${mount.mountPath}:rw,mode=1777`);
    else throw new Error(`rtmp.yaml: volume ${mount.name} is neither a ConfigMap nor an emptyDir`);
  }
  return [...args, image, ...m.container.command];
}

describe('a room Pod under podman kube play, driven by the kubernetes runtime', { timeout: 180_000 }, () => {
  let work: string;
  let api: FakeKubeApi;
  let kubelet: PodmanKubelet;
  let runtime: KubernetesRuntime;
  let t: TestApp;
  let server: ServerType;
  let ingest: ReturnType<typeof createIngestServer>;
  let pages: PageServer;
  let admin = '';
  let appHost = '';
  let roomId = '';

  beforeAll(async () => {
    requireTools('The room Pod test', ['podman', 'runc', 'catatonit', 'ffprobe'], 'podman runc catatonit ffmpeg');
    const built = await runCommand(join(REPO_ROOT, 'image', 'oci', 'build.sh'), [], { echo: true });
    if (built.code !== 0) throw new Error(`image/oci/build.sh failed: ${built.stderr.slice(-2000)}`);
    const [roomImage, adminImage] = built.stdout.trim().split('\n').slice(-2) as [string, string];
    work = mkdtempSync(join(tmpdir(), 'sbx-pod-'));
    // podman gives root's containers 1048576 open files and processes; without CAP_SYS_RESOURCE
    // (this sandbox) runc cannot set that ("error setting rlimit type 7"), nor even this process's own
    // limits: the containers get fixed ones under them, enough for a room (Chromium included).
    writeFileSync(join(work, 'containers.conf'), '[containers]\ndefault_ulimits = ["nofile=8192:8192", "nproc=8192:8192"]\n');
    process.env.CONTAINERS_CONF = join(work, 'containers.conf');
    await exec('podman', ['network', 'create', '--subnet', `${SUBNET}.0/24`, '--gateway', GATEWAY, NET]);

    // nginx-rtmp as deploy/ runs it: its user, a read-only root, its config, memory for the
    // fragments. Started first: podman makes the network's bridge (this machine's GATEWAY address,
    // where the admin service listens) with its first container.
    // Free on every address: the pods' bridge does not exist yet to ask on.
    const [appPort, ingestPort] = [await freePort('0.0.0.0'), await freePort('0.0.0.0')];
    appHost = `${GATEWAY}:${appPort}`;
    await exec('podman', ['run', '-d', '--name', RTMP_NAME, '--network', `${NET}:ip=${RTMP_IP}`, ...rtmpRunArgs(rtmpManifests(), appHost, work, adminImage)]);

    // The admin service, listening on the pods' network as its Service would.
    api = new FakeKubeApi({ token: 'pod-test-token' });
    await api.start();
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(kubeconfig, api.kubeconfig(NAMESPACE));
    runtime = new KubernetesRuntime({ kubeconfig, namespace: null, image: roomImage, rtmpUrlBase: `rtmp://${RTMP_IP}:1935/live`, recordingsClaim: 'streambox-recordings', roomCores: (shape) => roomCost(shape, MEASURED_COST), log: silentLogger, jobTimeoutMs: 120_000 });
    kubelet = new PodmanKubelet(api.store, NAMESPACE, { network: NET, workDir: work });
    t = await makeTestApp(runtime, { env: { STREAMBOX_RUNTIME: 'kubernetes', STREAMBOX_K8S_ROOM_IMAGE: roomImage, STREAMBOX_INGEST_LISTEN: `${GATEWAY}:${ingestPort}` } });
    ingest = createIngestServer(t.ctx.media, silentLogger);
    await listenOn(ingest, ingestPort);
    server = serve({ fetch: t.app.fetch, hostname: GATEWAY, port: appPort, websocket: { server: new WebSocketServer({ noServer: true }) } });
    await listenOn(server as Server, null);
    admin = await t.login();
    pages = await startPageServer();
  }, 900_000);

  afterAll(async () => {
    if (roomId) await Promise.resolve(t?.app.request(`/api/rooms/${roomId}`, { method: 'DELETE', headers: { cookie: admin } })).catch(() => undefined);
    await kubelet?.close();
    await runtime?.close();
    server?.close();
    ingest?.close();
    t?.close();
    await api?.stop();
    await pages?.close();
    await exec('podman', ['rm', '-f', '-t', '0', RTMP_NAME]).catch(() => undefined);
    await exec('podman', ['network', 'rm', '-f', NET]).catch(() => undefined);
    delete process.env.CONTAINERS_CONF;
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  const rtmp = () => `rtmp://${RTMP_IP}:1935/live/${roomId}`;
  const roomView = async () => (await (await t.app.request(`/api/rooms/${roomId}`, { headers: { cookie: admin } })).json()) as { status: { state: string; members: Record<string, { state: string; restarts: number | null }> }; stream: { web: Array<{ kind: string; url: string }> } };

  it('starts the room: five containers from the room image, live, streaming 1080p30 H.264 + AAC with sound and motion to nginx-rtmp', async () => {
    const res = await t.app.request('/api/rooms', json({ name: 'pod', startUrl: pages.url('/tone') }, admin));
    const body = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(body)).toBe(201);
    roomId = body.id;
    const view = await eventually('the room to read live', roomView, (v) => v.status.state === 'live', 120_000, 500).catch(async (e) => {
      throw new Error(`${(e as Error).message}; kubelet: ${kubelet.errors.join('; ')}; status: ${JSON.stringify((await roomView()).status)}`);
    });
    expect(Object.values(view.status.members).map((m) => m.state)).toEqual(['live', 'live', 'live', 'live', 'live']);
    const { stdout } = await exec('podman', ['pod', 'ps', '--filter', `name=${roomPodName(roomId)}`, '--format', '{{.Name}} {{.Status}} {{.NumberOfContainers}}']);
    expect(stdout.trim()).toBe(`${roomPodName(roomId)} Running 6`); // five members and podman's infra

    const info = await eventually('the stream on nginx-rtmp', () => probe(rtmp()).catch(() => ({ streams: [] })), (p) => p.streams.length === 2, 60_000, 1000);
    const video = info.streams.find((s) => s.codec_type === 'video')!;
    expect(video).toMatchObject({ codec_name: 'h264', width: 1920, height: 1080 });
    expect([video.avg_frame_rate, video.r_frame_rate]).toContain('30/1');
    expect(info.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('aac');
    expect(await meanVolume(rtmp()), 'mean volume of the room audio in dB').toBeGreaterThan(-40);
    expect(new Set(await frameHashes(rtmp())).size, 'distinct frames one second apart').toBeGreaterThan(1);
  });

  it('serves HLS from nginx-rtmp (asked of the admin service) and the fast path from the admin service\'s ingest', async () => {
    const playlist = await eventually('the HLS playlist', async () => (await fetch(`http://${RTMP_IP}:8080/hls/${roomId}.m3u8`)).text(), (txt) => txt.startsWith('#EXTM3U') && (txt.match(/#EXTINF/g) ?? []).length >= 3, 30_000, 500);
    expect(playlist).toMatch(new RegExp(`${roomId}-\\d+\\.ts`));
    const fast = (await roomView()).stream.web.find((s) => s.kind === 'fast')!;
    const relayed = await fastPathSample(fast.url.replace(/^wss?:\/\/[^/]+/, `ws://${appHost}`));
    expect(relayed.init).toMatchObject({ video: { codedWidth: 1920, codedHeight: 1080 }, audio: { sampleRate: 48000 } });
    expect(relayed.firstVideoKey).toBe(true);
    expect(relayed.videoFrames, 'video frames in 2 s').toBeGreaterThanOrEqual(45);
  });

  it('takes a driver\'s input through the VNC gateway, which dials the Pod\'s IP and x11vnc\'s port (password required): the pointer lands on the Pod\'s X server', async () => {
    // Where the VNC gateway dials (RoomRuntime.inputEndpoint): the Pod's IP on the pods' network.
    const endpoint = await runtime.inputEndpoint(roomId);
    const pod = api.store.get('pods', NAMESPACE, roomPodName(roomId)) as { status?: { podIP?: string } };
    expect(endpoint).toEqual({ host: pod.status!.podIP, port: VNC_PORT });
    const host = pod.status!.podIP!;
    expect(host.startsWith(`${SUBNET}.`)).toBe(true);
    // x11vnc's port takes no one without the room's password (only the admin service knows it).
    await expect(openAuthenticated({ host, port: VNC_PORT }, 'not the password', 5000)).rejects.toThrow();

    // A participant who drives, through the admin service's VNC gateway, as the room page does.
    const driver = await joinRoom(appHost, roomId, 'Driver');
    try {
      const res = await t.app.request(`/api/rooms/${roomId}/vnc-token`, json({ participantId: driver.you.id, participantKey: driver.you.key }));
      expect(res.status).toBe(200);
      const rfb = await RfbOverWs.open(`ws://${appHost}/api/rooms/${roomId}/vnc?token=${((await res.json()) as { token: string }).token}`);
      expect(await rfb.handshake()).toEqual({ width: 1920, height: 1080 });
      rfb.ws.send(pointerEvent(1234, 567, 0));
      // xstate.py in the display's container, on its display (the room's env from its Secret).
      const xstate = async () => JSON.parse((await exec('podman', ['exec', `${roomPodName(roomId)}-display`, 'sh', '-c', 'DISPLAY=":${ROOM_DISPLAY}" exec python3 -c "$0"', XSTATE])).stdout) as { x: number; y: number };
      const at = await eventually('the pointer at 1234,567', xstate, (s) => s.x === 1234 && s.y === 567, 10_000, 200);
      expect(at).toMatchObject({ x: 1234, y: 567 });
      rfb.ws.close();
    } finally {
      driver.ws.close();
    }
  });

  it('brings the stream back after its encoder is killed (the Pod\'s restart policy), and reads restarting meanwhile', async () => {
    // The process dies, as a crash would (`podman kill` would be a user's stop, which podman's
    // restart policy leaves stopped).
    const pid = Number((await exec('podman', ['inspect', '--format', '{{.State.Pid}}', `${roomPodName(roomId)}-stream`])).stdout.trim());
    expect(pid).toBeGreaterThan(1);
    process.kill(pid, 'SIGKILL');
    const back = Date.now();
    await eventually('the encoder restarted', async () => (await exec('podman', ['inspect', '--format', '{{.RestartCount}}', `${roomPodName(roomId)}-stream`])).stdout.trim(), (n) => Number(n) >= 1, 30_000, 200);
    const info = await eventually('the stream back on nginx-rtmp', () => probe(rtmp()).catch(() => ({ streams: [] })), (p) => p.streams.length === 2, 60_000, 500);
    console.log(`stream back ${Date.now() - back} ms after kill -9 of the encoder container`);
    expect(info.streams.find((s) => s.codec_type === 'video')?.width).toBe(1920);
    const live = await eventually('the room live again, the encoder\'s restart counted', roomView, (v) => v.status.state === 'live' && (v.status.members.stream?.restarts ?? 0) >= 1, 30_000, 500);
    expect(live.status.members.stream?.restarts).toBe(1);
  });

  it('deletes the room: no Pod, Secret or container left', async () => {
    const res = await t.app.request(`/api/rooms/${roomId}`, { method: 'DELETE', headers: { cookie: admin } });
    expect(res.status).toBe(204);
    const id = roomId;
    roomId = '';
    expect(api.store.list('pods', NAMESPACE, null).items.map((p) => p.metadata.name)).not.toContain(roomPodName(id));
    expect(api.store.list('secrets', NAMESPACE, null).items.map((s) => s.metadata.name)).not.toContain(roomSecretName(id));
    await eventually('the pod gone from podman', async () => (await exec('podman', ['pod', 'ps', '-q', '--filter', `name=${roomPodName(id)}`])).stdout.trim(), (s) => s === '', 30_000, 500);
  });
});
