/**
 * The Kubernetes runtime's test bench: the fake API server (fakeKubeApi.ts) with a kubelet
 * (fakeKubelet.ts), a kubeconfig file pointing at it, and a KubernetesRuntime built as
 * server/main.ts builds it. Also the contract's harness (runtimeContract.ts) for that runtime.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesRuntime, type KubernetesRuntimeOptions } from '../../server/runtime/kubernetes/runtime.js';
import { memberUnit, groupUnit, roomPodName, roomSecretName } from '../../server/runtime/kubernetes/names.js';
import { CRASH_LIMIT } from '../../server/runtime/kubernetes/podState.js';
import { MEASURED_COST, roomCost } from '../../server/rooms/capacity.js';
import { silentLogger } from '../../server/log.js';
import { FakeKubeApi } from './fakeKubeApi.js';
import { FakeKubelet } from './fakeKubelet.js';
import type { Obj } from './fakeKubeStore.js';
import type { RuntimeHarness } from './runtimeContract.js';

export const NAMESPACE = 'streambox';
export const TOKEN = 'fake-service-account-token';

export interface KubeBench {
  api: FakeKubeApi;
  kubelet: FakeKubelet;
  kubeconfig: string;
  runtime: KubernetesRuntime;
  makeRuntime(overrides?: Partial<KubernetesRuntimeOptions>): KubernetesRuntime;
  /** A room's objects of every kind, by kind/name. */
  objectsOf(roomId: string): string[];
  secretValue(name: string, key: string): string | null;
  close(): Promise<void>;
}

export async function startKubeBench(opts: { goneAsHttpStatus?: boolean } = {}): Promise<KubeBench> {
  const api = new FakeKubeApi({ token: TOKEN, goneAsHttpStatus: opts.goneAsHttpStatus });
  await api.start();
  const kubelet = new FakeKubelet(api.store, NAMESPACE);
  const dir = await mkdtemp(join(tmpdir(), 'sbx-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, api.kubeconfig(NAMESPACE));
  const made: KubernetesRuntime[] = [];
  const makeRuntime = (overrides: Partial<KubernetesRuntimeOptions> = {}) => {
    const r = new KubernetesRuntime({
      kubeconfig,
      namespace: null, // the kubeconfig context's
      image: 'streambox-room:test',
      rtmpUrlBase: 'rtmp://streambox-rtmp:1935/live',
      recordingsClaim: 'streambox-recordings',
      roomCores: (shape) => roomCost(shape, MEASURED_COST),
      log: silentLogger,
      jobTimeoutMs: 10_000,
      callTimeoutMs: 2_000,
      reconnectDelayMs: 100,
      pollMs: 50,
      ...overrides,
    });
    made.push(r);
    return r;
  };
  const runtime = makeRuntime();
  return {
    api,
    kubelet,
    kubeconfig,
    runtime,
    makeRuntime,
    objectsOf(roomId) {
      const selector = `streambox.io/room=${roomId}`;
      return ['pods', 'secrets', 'persistentvolumeclaims'].flatMap((r) => api.store.list(r, NAMESPACE, selector).items.map((o: Obj) => `${r}/${o.metadata.name}`));
    },
    secretValue(name, key) {
      try {
        const data = (api.store.get('secrets', NAMESPACE, name) as Obj & { data?: Record<string, string> }).data ?? {};
        return data[key] === undefined ? null : Buffer.from(data[key], 'base64').toString('utf8');
      } catch {
        return null;
      }
    },
    async close() {
      for (const r of made) await r.close();
      kubelet.close();
      await api.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The contract's harness on the bench. */
export function kubeHarness(bench: KubeBench): RuntimeHarness {
  return {
    runtime: bench.runtime,
    makeRuntime: () => bench.makeRuntime(),
    groupUnit,
    memberUnit,
    async startUrlSeen(roomId) {
      // The browser's environment takes ROOM_START_URL from the room's Secret: what is there is what it gets.
      const pod = bench.api.store.get('pods', NAMESPACE, roomPodName(roomId)) as Obj & { spec: { containers: Array<{ name: string; env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }> }> } };
      const ref = pod.spec.containers.find((c) => c.name === 'browser')?.env?.find((e) => e.name === 'ROOM_START_URL')?.valueFrom?.secretKeyRef;
      if (!ref) throw new Error('the browser has no ROOM_START_URL from a Secret');
      return bench.secretValue(ref.name, ref.key) ?? '(no such key)';
    },
    async inputListensOn(roomId) {
      // The kubelet's podIP, and the port the input container's x11vnc is told (-rfbport).
      const pod = bench.api.store.get('pods', NAMESPACE, roomPodName(roomId)) as Obj & { spec: { containers: Array<{ name: string; command?: string[] }> }; status?: { podIP?: string } };
      const script = pod.spec.containers.find((c) => c.name === 'input')?.command?.join(' ') ?? '';
      const port = /"-rfbport" "(\d+)"/.exec(script)?.[1];
      if (!pod.status?.podIP || !port) throw new Error(`no podIP (${pod.status?.podIP}) or no -rfbport in the input container`);
      return { host: pod.status.podIP, port: Number(port) };
    },
    async failBrowser(spec) {
      bench.kubelet.failContainer(roomPodName(spec.id), 'browser', { exitCode: 3, restarts: CRASH_LIMIT });
      return spec;
    },
    async stopBehindBack(roomId) {
      // As `kubectl delete pod --grace-period=0 --force` (or a node lost): the Pod is gone at once.
      bench.api.store.delete('pods', NAMESPACE, roomPodName(roomId), 0);
    },
    async leftovers(roomId) {
      return bench.objectsOf(roomId);
    },
    async interrupt() {
      await bench.api.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await bench.api.start();
    },
  };
}

export { roomPodName, roomSecretName };
