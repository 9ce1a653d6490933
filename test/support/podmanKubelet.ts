/**
 * The kubelet of one node, played by podman: the Pods that the kubernetes runtime creates on a
 * FakeKubeApi (no Kubernetes API server can be installed here) run for real under `podman kube
 * play`, and what the kubelet would write back to each Pod's status is read from podman:
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/
 *
 * - A new Pod is bound to the node (PodScheduled=True), its Secret's keys are handed to podman as
 *   files (podmanKube.ts) and it is played; its containers read `waiting: ContainerCreating` until
 *   podman runs them.
 * - Each container's state, restart count and last termination come from `podman inspect`; its
 *   `started` turns true once the startup probe's command, run in the container as the kubelet
 *   runs an exec probe, succeeds (podman 4.3 runs no startup probe itself).
 * - The Pod's IP is its infra container's on the test's network (status.podIP).
 * - A deleted Pod (deletionTimestamp) is stopped with its grace period and removed, and then
 *   deleted from the API with grace period 0, as the kubelet does.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import type { FakeKubeStore, StoreEvent } from './fakeKubeStore.js';
import { podForPodman } from './podmanKube.js';

const exec = promisify(execFile);
const NODE = 'podman-node-1';

interface Inspected {
  Name: string;
  RestartCount?: number;
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean; StartedAt: string; FinishedAt: string };
}

export class PodmanKubelet {
  private readonly unsubscribe: () => void;
  private readonly played = new Map<string, { uid: string; ready: Promise<void> }>();
  /** `pod/container` whose startup probe has passed since its last start. */
  private readonly startedAt = new Map<string, string>();
  /** Each played Pod's IP, once podman has given it one (a Pod keeps its IP for its life). */
  private readonly podIPs = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private syncing = false;
  readonly errors: string[] = [];

  constructor(
    private readonly store: FakeKubeStore,
    private readonly namespace: string,
    private readonly opts: { network: string; workDir: string },
  ) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
    this.timer = setInterval(() => void this.sync(), 500);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe();
    for (const name of [...this.played.keys()]) await this.remove(name, 0);
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource !== 'pods' || e.namespace !== this.namespace) return;
    const pod = e.object as unknown as V1Pod;
    const name = pod.metadata!.name!;
    if (e.type === 'ADDED') this.played.set(name, { uid: pod.metadata!.uid!, ready: this.play(pod).catch((err: Error) => this.playFailed(pod, err)) });
    if (e.type === 'MODIFIED' && pod.metadata?.deletionTimestamp && this.played.get(name)?.uid === pod.metadata.uid) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.remove(name, grace).then(() => {
        try {
          this.store.delete('pods', this.namespace, name, 0);
        } catch {
          // already gone
        }
      });
    }
  }

  private async play(pod: V1Pod): Promise<void> {
    const name = pod.metadata!.name!;
    const secretName = pod.spec!.volumes!.find((v) => v.secret)!.secret!.secretName!;
    // The runtime creates the Secret before the Pod (podSpec.ts), as the kubelet needs it to start.
    const secret = this.store.get('secrets', this.namespace, secretName) as unknown as V1Secret;
    this.store.patchPod(this.namespace, name, (p) => {
      (p.spec as { nodeName?: string }).nodeName = NODE;
      p.status = {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: new Date().toISOString() }],
        containerStatuses: pod.spec!.containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } })),
      };
    });
    const translated = podForPodman(pod, secret, join(this.opts.workDir, name));
    const file = join(this.opts.workDir, `${name}.yaml`);
    await writeFile(file, stringify(translated));
    await exec('podman', ['kube', 'play', '--network', this.opts.network, file], { timeout: 120_000 });
  }

  /** What the kubelet reports when the runtime cannot create a Pod's containers. */
  private playFailed(pod: V1Pod, err: Error): void {
    const name = pod.metadata!.name!;
    this.errors.push(`${name}: ${err.message}`);
    try {
      this.store.patchPod(this.namespace, name, (p) => {
        p.status = { ...(p.status as object), containerStatuses: pod.spec!.containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerError', message: err.message.slice(0, 500) } } })) };
      });
    } catch {
      // the Pod went away meanwhile
    }
  }

  /** Stops and removes the Pod's containers, its files, and forgets it. */
  private async remove(name: string, graceSeconds: number): Promise<void> {
    const played = this.played.get(name);
    if (!played) return;
    this.played.delete(name);
    await played.ready;
    await exec('podman', ['pod', 'stop', '-t', String(graceSeconds), name], { timeout: 60_000 }).catch(() => undefined);
    await exec('podman', ['pod', 'rm', '-f', name], { timeout: 60_000 }).catch(() => undefined);
    rmSync(join(this.opts.workDir, name), { recursive: true, force: true });
    rmSync(join(this.opts.workDir, `${name}.yaml`), { force: true });
    for (const k of [...this.startedAt.keys()]) if (k.startsWith(`${name}/`)) this.startedAt.delete(k);
    this.podIPs.delete(name);
  }

  private async sync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      for (const name of [...this.played.keys()]) await this.syncPod(name).catch((err: Error) => void this.errors.push(`${name}: ${err.message}`));
    } finally {
      this.syncing = false;
    }
  }

  private async syncPod(name: string): Promise<void> {
    let pod: V1Pod;
    try {
      pod = this.store.get('pods', this.namespace, name) as unknown as V1Pod;
    } catch {
      return;
    }
    if (pod.metadata?.deletionTimestamp) return;
    const ids = pod.spec!.containers.map((c) => `${name}-${c.name}`);
    const { stdout } = await exec('podman', ['inspect', '--type', 'container', ...ids], { timeout: 10_000 }).catch(() => ({ stdout: '[]' }));
    const inspected = JSON.parse(stdout) as Inspected[];
    if (inspected.length < ids.length) return; // still being played
    const statuses: Array<Record<string, unknown>> = [];
    for (const c of pod.spec!.containers) {
      const ins = inspected.find((i) => i.Name === `${name}-${c.name}`)!;
      statuses.push(await this.containerStatus(name, c.name, c.image!, c.startupProbe?.exec?.command ?? null, ins));
    }
    const podIP = await this.podIP(name);
    this.store.patchPod(this.namespace, name, (p) => {
      const prev = (p.status ?? {}) as Record<string, unknown>;
      p.status = { ...prev, phase: 'Running', podIP, podIPs: podIP ? [{ ip: podIP }] : [], startTime: prev.startTime ?? new Date().toISOString(), containerStatuses: statuses };
    });
  }

  private async containerStatus(pod: string, name: string, image: string, startupProbe: string[] | null, ins: Inspected) {
    const key = `${pod}/${name}`;
    const base = { name, image, imageID: '', containerID: `podman://${ins.Name}`, restartCount: ins.RestartCount ?? 0 };
    const last = ins.State.FinishedAt && !ins.State.FinishedAt.startsWith('0001') ? { terminated: { exitCode: ins.State.ExitCode, reason: ins.State.OOMKilled ? 'OOMKilled' : ins.State.ExitCode === 0 ? 'Completed' : 'Error', finishedAt: ins.State.FinishedAt } } : undefined;
    if (!ins.State.Running) {
      this.startedAt.delete(key);
      return { ...base, ready: false, started: false, state: { terminated: { exitCode: ins.State.ExitCode, reason: ins.State.OOMKilled ? 'OOMKilled' : 'Error', finishedAt: ins.State.FinishedAt } } };
    }
    // A restarted container runs its startup probe again.
    if (this.startedAt.get(key) !== ins.State.StartedAt) {
      this.startedAt.delete(key);
      const passed = !startupProbe || (await exec('podman', ['exec', ins.Name, ...startupProbe], { timeout: 5_000 }).then(() => true, () => false));
      if (passed) this.startedAt.set(key, ins.State.StartedAt);
    }
    const started = this.startedAt.has(key);
    return { ...base, ready: started, started, state: { running: { startedAt: ins.State.StartedAt } }, ...(last && base.restartCount > 0 ? { lastState: last } : {}) };
  }

  private async podIP(name: string): Promise<string | null> {
    const known = this.podIPs.get(name);
    if (known) return known;
    const { stdout } = await exec('podman', ['pod', 'inspect', '--format', '{{.InfraContainerID}}', name], { timeout: 10_000 });
    const { stdout: ip } = await exec('podman', ['inspect', '--format', `{{(index .NetworkSettings.Networks "${this.opts.network}").IPAddress}}`, stdout.trim()], { timeout: 10_000 });
    if (ip.trim()) this.podIPs.set(name, ip.trim());
    return ip.trim() || null;
  }
}
