/**
 * Plays the scheduler and the kubelet of one node on a FakeKubeApi's store, as the Pod lifecycle
 * documents them (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/): what
 * kube-scheduler and the kubelet write to a Pod's status, and when.
 *
 * - Scheduling: a Pod whose CPU requests fit the node's room (allocatable less what the Pods
 *   already on it request) is bound (spec.nodeName, PodScheduled=True); one that does not fit
 *   stays Pending with PodScheduled=False, reason Unschedulable and the scheduler's message.
 *   https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions
 *   https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/
 * - Starting: every container waits (ContainerCreating), then runs (started: true once its startup
 *   probe passed; the fake passes them at once); the Pod's phase goes Pending → Running.
 *   https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states
 * - Addresses: with its containers the Pod gets its IP, status.podIP and the same in podIPs (one
 *   per address family; one here), and the node's, hostIP and hostIPs. Before that podIP is
 *   absent ("empty if not yet allocated"); every Pod gets a new one, a new Pod of the same name
 *   too. https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodStatus
 * - A container the test makes fail ends (terminated, exit code, reason Error) and, the Pod's
 *   restartPolicy being Always, waits in CrashLoopBackOff with lastState.terminated and its
 *   restartCount. https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy
 * - Termination: a Pod given a deletionTimestamp has its containers stopped (terminated, exit 0)
 *   and is then deleted with grace period 0, which removes it (or leaves it to its finalizers).
 *   https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
 */
import type { FakeKubeStore, Obj, StoreEvent } from './fakeKubeStore.js';

interface Container {
  name: string;
  image?: string;
  resources?: { requests?: { cpu?: string } };
}

type PodObj = Obj & { spec?: { nodeName?: string; containers?: Container[] }; status?: Record<string, unknown> };

export interface Failure {
  exitCode: number;
  /** restartCount to report: past the runtime's CRASH_LIMIT the member reads failed. */
  restarts: number;
  reason?: string;
}

const NODE = 'fake-node-1';
/** The node's address (a documentation range, RFC 5737); the Pods' are from a Pod CIDR, 10.244.0.0/16. */
const NODE_IP = '192.0.2.10';

/** "250m" or "1.5" cores, in millicores. */
function millicores(quantity: string | undefined): number {
  if (!quantity) return 0;
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

const podMillicores = (pod: PodObj) => (pod.spec?.containers ?? []).reduce((sum, c) => sum + millicores(c.resources?.requests?.cpu), 0);

export class FakeKubelet {
  /** The node's allocatable CPU, in cores. */
  nodeCores = Infinity;
  /** While true, the kubelet leaves terminating Pods as they are (a node that does not answer). */
  holdTermination = false;

  /** Ends the termination of Pods held meanwhile. */
  release(): void {
    this.holdTermination = false;
    for (const pod of this.store.list('pods', this.namespace, null).items) {
      if (pod.metadata.deletionTimestamp && !this.terminating.has(pod.metadata.uid ?? '')) {
        this.terminating.add(pod.metadata.uid ?? '');
        this.later(() => this.terminate(pod.metadata.name));
      }
    }
  }
  private readonly failures = new Map<string, Failure>();
  /** Pod IPs handed out so far. */
  private addresses = 0;
  /** Pods whose termination has begun (by uid: a new Pod of the same name is another Pod). */
  private readonly terminating = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: FakeKubeStore,
    private readonly namespace: string,
    /** How long each step (bind, start, stop) takes. */
    private readonly stepMs = 20,
  ) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  close(): void {
    this.unsubscribe();
  }

  /** The container `name` of Pod `pod` fails, now if it runs, else when it starts. */
  failContainer(pod: string, name: string, failure: Failure): void {
    this.failures.set(`${pod}/${name}`, failure);
    if (this.exists(pod) && (this.store.get('pods', this.namespace, pod) as PodObj).status?.phase === 'Running') this.setContainer(pod, name, crashLoop(failure));
  }

  /** Sets one container's status, as the kubelet reports it. */
  setContainer(pod: string, name: string, status: Record<string, unknown>): void {
    this.store.patchPod(this.namespace, pod, (p: PodObj) => {
      const statuses = ((p.status?.containerStatuses ?? []) as Array<Record<string, unknown>>).map((cs) => (cs.name === name ? { ...cs, ...status, name } : cs));
      p.status = { ...p.status, containerStatuses: statuses };
    });
  }

  private exists(pod: string): boolean {
    try {
      this.store.get('pods', this.namespace, pod);
      return true;
    } catch {
      return false;
    }
  }

  private later(fn: () => void): void {
    setTimeout(() => {
      try {
        fn();
      } catch {
        // the Pod went away meanwhile: nothing to do
      }
    }, this.stepMs).unref();
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource !== 'pods' || e.namespace !== this.namespace) return;
    const pod = e.object as PodObj;
    if (e.type === 'ADDED') this.later(() => this.schedule(pod.metadata.name));
    if (e.type === 'MODIFIED' && pod.metadata.deletionTimestamp && pod.spec?.nodeName && !this.holdTermination && !this.terminating.has(pod.metadata.uid ?? '')) {
      this.terminating.add(pod.metadata.uid ?? '');
      this.later(() => this.terminate(pod.metadata.name));
    }
  }

  private usedMillicores(except: string): number {
    return this.store
      .list('pods', this.namespace, null)
      .items.filter((p) => p.metadata.name !== except && (p as PodObj).spec?.nodeName)
      .reduce((sum, p) => sum + podMillicores(p as PodObj), 0);
  }

  private schedule(name: string): void {
    const pod = this.store.get('pods', this.namespace, name) as PodObj;
    if (pod.metadata.deletionTimestamp || pod.spec?.nodeName) return;
    const free = this.nodeCores * 1000 - this.usedMillicores(name);
    if (podMillicores(pod) > free) {
      this.store.patchPod(this.namespace, name, (p: PodObj) => {
        p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.', lastTransitionTime: new Date().toISOString() }] };
      });
      return;
    }
    const containers = pod.spec?.containers ?? [];
    this.store.patchPod(this.namespace, name, (p: PodObj) => {
      p.spec = { ...p.spec, nodeName: NODE };
      p.status = {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: new Date().toISOString() }],
        containerStatuses: containers.map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } })),
      };
    });
    this.later(() => this.run(name));
  }

  private run(name: string): void {
    const pod = this.store.get('pods', this.namespace, name) as PodObj;
    if (pod.metadata.deletionTimestamp) return;
    const now = new Date().toISOString();
    this.store.patchPod(this.namespace, name, (p: PodObj) => {
      const statuses = (pod.spec?.containers ?? []).map((c) => {
        const failure = this.failures.get(`${name}/${c.name}`);
        const base = { name: c.name, image: c.image ?? '', imageID: 'fake://sha256:0', containerID: `fake://${name}-${c.name}` };
        return failure ? { ...base, ...crashLoop(failure) } : { ...base, ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } };
      });
      const n = ++this.addresses;
      const podIP = `10.244.${Math.floor(n / 250)}.${(n % 250) + 2}`;
      p.status = { ...p.status, phase: 'Running', startTime: now, hostIP: NODE_IP, hostIPs: [{ ip: NODE_IP }], podIP, podIPs: [{ ip: podIP }], containerStatuses: statuses };
    });
  }

  private terminate(name: string): void {
    const now = new Date().toISOString();
    this.store.patchPod(this.namespace, name, (p: PodObj) => {
      const statuses = ((p.status?.containerStatuses ?? []) as Array<Record<string, unknown>>).map((cs) => ({ ...cs, ready: false, started: false, state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: now } } }));
      p.status = { ...p.status, containerStatuses: statuses };
    });
    this.later(() => this.store.delete('pods', this.namespace, name, 0));
  }
}

/** What the kubelet reports for a container that keeps dying. */
export function crashLoop(f: Failure): Record<string, unknown> {
  const at = new Date().toISOString();
  return {
    ready: false,
    started: false,
    restartCount: f.restarts,
    state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container` } },
    lastState: { terminated: { exitCode: f.exitCode, reason: f.reason ?? 'Error', startedAt: at, finishedAt: at } },
  };
}
