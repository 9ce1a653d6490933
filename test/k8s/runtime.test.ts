/**
 * The Kubernetes runtime (server/runtime/kubernetes/) against an in-process fake of the API
 * server, over real HTTP, with a kubelet and a scheduler played by the test.
 *
 * Why a fake: no real Kubernetes API server can be installed on these machines. None is packaged
 * in Debian 12 or 13, none is on npm; kube-apiserver, k3s, kind, minikube and envtest all download
 * binaries or container images. test/support/fakeKubeApi.ts (with fakeKubeStore.ts and
 * fakeKubelet.ts) follows the Kubernetes API documentation for exactly the calls the runtime makes,
 * and cites the page that specifies each behaviour. What the fake cannot show (that the Pod as
 * built really runs and streams) is for `podman kube play` with the room image.
 *
 * First the contract both runtimes pass (test/support/runtimeContract.ts; systemd's run in
 * test/systemd/runtime.test.ts), then what only this runtime has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeJobError } from '../../server/runtime/types.js';
import { roomStatus } from '../../server/rooms/status.js';
import { failureOf } from '../../server/rooms/runtimeSpec.js';
import { MEASURED_COST, roomCost } from '../../server/rooms/capacity.js';
import { requestedCores } from '../../server/runtime/kubernetes/resources.js';
import { runtimeContract, spec } from '../support/runtimeContract.js';
import { kubeHarness, NAMESPACE, roomPodName, roomSecretName, startKubeBench, type KubeBench } from '../support/kubeHarness.js';
import { eventually } from '../support/eventually.js';
import type { Obj } from '../support/fakeKubeStore.js';

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
type PodObj = Obj & { spec: { containers: Array<{ name: string; env?: EnvVar[]; resources: { requests: { cpu: string } } }> } };

let bench: KubeBench;

beforeAll(async () => {
  bench = await startKubeBench();
});

afterAll(async () => {
  await bench?.close();
});

describe('KubernetesRuntime: the runtime contract', () => {
  runtimeContract(() => kubeHarness(bench));
});

describe('KubernetesRuntime on the API', () => {
  const pod = (id: string) => bench.api.store.get('pods', NAMESPACE, roomPodName(id)) as PodObj;

  it('puts the spec in the Secret, none of it in the Pod, and requests what the room costs', async () => {
    const encoderFiles = { rtmpPreset: 'fifo_options=format_opts=rtmp_playpath=x?key=publish-key-1', ingestMetadata: 'streambox_key=ingest-key-1' };
    const s = { ...spec(), vncPassword: 'vnc-pw-9', width: 1920, height: 1080, encoderFiles };
    await bench.runtime.start(s);
    const p = pod(s.id);
    // Every variable comes from the Secret; no value of the spec is written into the Pod.
    const env = p.spec.containers.flatMap((c) => c.env ?? []);
    const roomVars = env.filter((e) => e.name.startsWith('ROOM_'));
    expect(roomVars.length).toBeGreaterThan(0);
    for (const e of roomVars) expect(e, e.name).toEqual({ name: e.name, valueFrom: { secretKeyRef: { name: roomSecretName(s.id), key: e.name } } });
    const podText = JSON.stringify(p);
    for (const secret of [s.vncPassword, JSON.stringify(s.startUrl).slice(1, -1), 'publish-key-1', 'ingest-key-1']) expect(podText).not.toContain(secret);
    expect(bench.secretValue(roomSecretName(s.id), 'vncpass')).toBe('vnc-pw-9\n');
    expect(bench.secretValue(roomSecretName(s.id), 'ROOM_START_URL')).toBe(s.startUrl);
    expect(bench.secretValue(roomSecretName(s.id), 'rtmp.ffpreset')).toBe(encoderFiles.rtmpPreset);
    expect(p.spec.containers.map((c) => c.name)).toEqual(['display', 'audio', 'browser', 'input', 'stream']);
    expect(p.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'streambox-room', 'streambox.io/room': s.id });
    const cores = Object.fromEntries(p.spec.containers.map((c) => [c.name, c.resources])) as never;
    expect(requestedCores(cores)).toBeCloseTo(roomCost(s, MEASURED_COST), 3);
    await bench.runtime.stop(s.id);
    await bench.runtime.remove(s.id);
  });

  it('a start of a running room is a no-op (409 AlreadyExists: the same Pod goes on)', async () => {
    const s = spec();
    await bench.runtime.start(s);
    const uid = pod(s.id).metadata.uid;
    const creates = bench.api.store.count('POST pods');
    await bench.runtime.start(s);
    expect(bench.api.store.count('POST pods')).toBe(creates + 1); // it asked, and was told it exists
    expect(pod(s.id).metadata.uid).toBe(uid);
    expect(roomStatus('running', await bench.runtime.status(s.id), null).state).toBe('live');
    await bench.runtime.stop(s.id);
    await bench.runtime.remove(s.id);
  });

  it('owner references: the Secret goes with its Pod, however the Pod was deleted', async () => {
    const s = spec();
    await bench.runtime.start(s);
    const secret = bench.api.store.get('secrets', NAMESPACE, roomSecretName(s.id));
    expect(secret.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Pod', name: roomPodName(s.id), uid: pod(s.id).metadata.uid })]);
    // An operator deletes the Pod by hand: the garbage collector takes the Secret.
    bench.api.store.delete('pods', NAMESPACE, roomPodName(s.id), 0);
    await eventually('the Secret collected', async () => bench.objectsOf(s.id), (left) => left.length === 0);
    expect(bench.api.store.count('gc secrets')).toBeGreaterThan(0);
  });

  it('a room that fits on no node is refused with Unschedulable, and reads failed with why', async () => {
    bench.kubelet.nodeCores = 1; // one 1080p30 room costs 0.84 cores: the second does not fit
    try {
      const first = { ...spec(), width: 1920, height: 1080 };
      const second = { ...spec(), width: 1920, height: 1080 };
      await bench.runtime.start(first);
      const err = await bench.runtime.start(second).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeJobError);
      expect(err).toMatchObject({ unit: roomPodName(second.id), result: 'Unschedulable', role: null });
      expect((err as Error).message).toMatch(/no node can run this room.*Insufficient cpu/);
      // The Pod stays Pending (the scheduler retries it); the room reads failed, with the reason.
      const status = await bench.runtime.status(second.id);
      expect(status.group).toMatchObject({ activeState: 'activating', subState: 'unschedulable' });
      const words = roomStatus('running', status, failureOf(err, new Date().toISOString()));
      expect(words.state).toBe('failed');
      expect(words.failure?.reason).toMatch(/Unschedulable/);
      expect(await bench.runtime.listRunning()).toContain(second.id);
      for (const id of [first.id, second.id]) {
        await bench.runtime.stop(id);
        await bench.runtime.remove(id);
      }
    } finally {
      bench.kubelet.nodeCores = Infinity;
    }
  });

  it('stop waits for a Pod held by a finalizer, and says so when it outlasts the wait', async () => {
    const quick = bench.makeRuntime({ jobTimeoutMs: 600 });
    const s = spec();
    await quick.start(s);
    bench.api.store.patchPod(NAMESPACE, roomPodName(s.id), (p) => {
      p.metadata.finalizers = ['example.com/hold'];
    });
    const err = await quick.stop(s.id).catch((e: unknown) => e);
    expect(err).toMatchObject({ result: 'timeout', unit: roomPodName(s.id) });
    expect(pod(s.id).metadata.deletionTimestamp).toBeTruthy();
    // Its processes are gone (the room reads stopped); the Pod object is not.
    const status = await quick.status(s.id);
    expect(status.group).toMatchObject({ activeState: 'deactivating' });
    expect(roomStatus('stopped', status, null).state).toBe('stopped');
    // The finalizer's owner is done: the Pod goes, and stop() completes.
    const held = pod(s.id);
    bench.api.store.replace('pods', NAMESPACE, roomPodName(s.id), { ...held, metadata: { ...held.metadata, finalizers: [] } });
    await quick.stop(s.id);
    await quick.remove(s.id);
    expect(bench.objectsOf(s.id)).toEqual([]);
  });

  it('a start waits for an older Pod of the room that is still terminating', async () => {
    const s = spec();
    await bench.runtime.start(s);
    const oldUid = pod(s.id).metadata.uid;
    bench.kubelet.holdTermination = true;
    bench.api.store.delete('pods', NAMESPACE, roomPodName(s.id), 30);
    const starting = bench.runtime.start(s);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pod(s.id).metadata.uid).toBe(oldUid); // not replaced while it terminates
    bench.kubelet.release();
    await starting;
    expect(pod(s.id).metadata.uid).not.toBe(oldUid);
    expect(roomStatus('running', await bench.runtime.status(s.id), null).state).toBe('live');
    await bench.runtime.stop(s.id);
    await bench.runtime.remove(s.id);
  });
});

describe('KubernetesRuntime: where the VNC gateway reaches x11vnc', () => {
  const podStatus = (id: string) => (bench.api.store.get('pods', NAMESPACE, roomPodName(id)) as Obj & { status: { phase?: string; podIP?: string } }).status;

  // The kubelet reports the Pod's IP in status.podIP (fakeKubelet.ts, after
  // https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodStatus).
  it('answers the running Pod\'s podIP and port 5900, and a new Pod\'s after a restart', async () => {
    const s = spec();
    await bench.runtime.start(s);
    const first = podStatus(s.id).podIP;
    expect(first).toMatch(/^10\.244\./);
    expect(await bench.runtime.inputEndpoint(s.id)).toEqual({ host: first, port: 5900 });
    await bench.runtime.stop(s.id);
    await bench.runtime.start(s);
    const second = podStatus(s.id).podIP;
    expect(second).not.toBe(first);
    expect(await bench.runtime.inputEndpoint(s.id)).toEqual({ host: second, port: 5900 });
    await bench.runtime.stop(s.id);
    await expect(bench.runtime.inputEndpoint(s.id)).rejects.toMatchObject({ result: 'NoSuchUnit', role: 'input', message: expect.stringMatching(/has no Pod/) });
    await bench.runtime.remove(s.id);
  });

  it('fails clearly for a Pending Pod (no podIP yet) and for an input container that is down', async () => {
    bench.kubelet.nodeCores = 0.5; // a 720p30 room costs ~0.55 cores: it stays Pending, unscheduled
    const pending = spec();
    try {
      await expect(bench.runtime.start(pending)).rejects.toMatchObject({ result: 'Unschedulable' });
    } finally {
      bench.kubelet.nodeCores = Infinity;
    }
    expect(podStatus(pending.id)).toMatchObject({ phase: 'Pending' });
    expect(podStatus(pending.id).podIP).toBeUndefined();
    const err = await bench.runtime.inputEndpoint(pending.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeJobError);
    expect(err).toMatchObject({ unit: `${roomPodName(pending.id)}/input`, role: 'input', result: 'no-address' });
    expect((err as Error).message).toMatch(/Pod is Pending \(no node can run it\)/);

    const crashing = spec();
    bench.kubelet.failContainer(roomPodName(crashing.id), 'input', { exitCode: 1, restarts: 2 });
    await bench.runtime.start(crashing);
    expect(podStatus(crashing.id).podIP).toBeTruthy();
    await expect(bench.runtime.inputEndpoint(crashing.id)).rejects.toThrow(/input container is not running \(CrashLoopBackOff\)/);
    for (const id of [pending.id, crashing.id]) {
      await bench.runtime.stop(id);
      await bench.runtime.remove(id);
    }
  });
});
