/**
 * The object store behind test/support/fakeKubeApi.ts: what the Kubernetes API server keeps in
 * etcd, for the few resources the room runtime uses (pods, secrets, persistentvolumeclaims), with
 * the documented behaviour of each operation. No real API server can be installed on these
 * machines (none is packaged in Debian 12/13 or on npm: every one downloads binaries or images),
 * so this follows the documentation, cited at each behaviour:
 *
 * - Every write gets a new resourceVersion, one counter for the whole store (etcd's revision), and
 *   is kept in a history that watches replay from a given resourceVersion; `compact()` forgets the
 *   history, as etcd's compaction does, after which older versions are "too old" (410 Gone).
 *   https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions
 *   https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 * - A create of a name that exists is 409 AlreadyExists; a get, replace or delete of one that
 *   does not is 404 NotFound; both answered with a Status object.
 *   https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/
 *   https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#http-status-codes
 * - Deletion is two phases: an object with finalizers gets metadata.deletionTimestamp and stays,
 *   visible, until its finalizers are removed; then it is gone.
 *   https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-deletion
 *   https://kubernetes.io/docs/concepts/overview/working-with-objects/finalizers/
 * - A Pod bound to a node is deleted gracefully: deletionTimestamp and deletionGracePeriodSeconds
 *   are set (gracePeriodSeconds of the request, else the Pod's terminationGracePeriodSeconds), and
 *   the Pod stays until the kubelet has stopped its containers and deletes it with grace 0. A Pod
 *   not bound to a node is removed at once.
 *   https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
 * - When an object is gone, the garbage collector deletes, in the background, every object whose
 *   ownerReferences name only owners that are gone.
 *   https://kubernetes.io/docs/concepts/architecture/garbage-collection/#background-deletion
 *   https://kubernetes.io/docs/concepts/overview/working-with-objects/owners-dependents/
 */
import { randomUUID } from 'node:crypto';

export type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: Array<{ uid: string; name: string; kind: string; apiVersion: string }>;
  };
  [key: string]: unknown;
};

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  resource: string;
  namespace: string;
  type: EventType;
  object: Obj;
}

export const RESOURCES: Record<string, string> = { pods: 'Pod', secrets: 'Secret', persistentvolumeclaims: 'PersistentVolumeClaim' };

/** An error answered with a Status object. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }

  status(details?: Record<string, unknown>): Record<string, unknown> {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(details ? { details } : {}), code: this.code };
  }
}

const clone = <T>(v: T): T => structuredClone(v);
const key = (resource: string, namespace: string, name: string) => `${resource}/${namespace}/${name}`;

/** Equality-based label selectors ("a=b,c=d"), the only kind the runtime sends. */
export function matches(obj: Obj, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    if (k === undefined || v === undefined) throw new StatusError(400, 'BadRequest', `unable to parse requirement: ${term}`);
    return obj.metadata.labels?.[k.trim()] === v.trim();
  });
}

export class FakeKubeStore {
  private readonly objects = new Map<string, Obj>();
  private rv = 1;
  private history: StoreEvent[] = [];
  /** The oldest resourceVersion a watch may start from (older: 410 Gone). */
  oldestRv = 1;
  private readonly subscribers = new Set<(event: StoreEvent) => void>();
  /** Writes per resource and verb, for tests (e.g. how often the runtime listed). */
  readonly counts = new Map<string, number>();

  get resourceVersion(): number {
    return this.rv;
  }

  subscribe(fn: (event: StoreEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  count(what: string): number {
    return this.counts.get(what) ?? 0;
  }

  tally(what: string): void {
    this.counts.set(what, this.count(what) + 1);
  }

  private emit(resource: string, namespace: string, type: EventType, object: Obj): void {
    const event: StoreEvent = { rv: this.rv, resource, namespace, type, object: clone(object) };
    this.history.push(event);
    for (const fn of this.subscribers) fn(event);
  }

  private write(resource: string, namespace: string, obj: Obj, type: EventType): Obj {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    if (type === 'DELETED') this.objects.delete(key(resource, namespace, obj.metadata.name));
    else this.objects.set(key(resource, namespace, obj.metadata.name), obj);
    this.emit(resource, namespace, type, obj);
    if (type === 'DELETED') setImmediate(() => this.collectGarbage());
    return clone(obj);
  }

  /** Forgets the history (etcd compaction): a watch from any version before now gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.oldestRv = this.rv;
  }

  /** Events after `rv`, in order; throws 410 when `rv` is older than the history holds. */
  since(rv: number): StoreEvent[] {
    if (rv < this.oldestRv) throw new StatusError(410, 'Gone', `too old resource version: ${rv} (${this.oldestRv})`);
    return this.history.filter((e) => e.rv > rv).map(clone);
  }

  create(resource: string, namespace: string, body: Obj): Obj {
    const name = body.metadata?.name;
    if (!name) throw new StatusError(422, 'Invalid', `${RESOURCES[resource]} "" is invalid: metadata.name: Required value`);
    if (this.objects.has(key(resource, namespace, name))) throw new StatusError(409, 'AlreadyExists', `${resource} "${name}" already exists`);
    const obj = clone(body);
    obj.metadata = { ...obj.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString() };
    delete obj.metadata.deletionTimestamp;
    if (resource === 'pods') obj.status = { phase: 'Pending' };
    return this.write(resource, namespace, obj, 'ADDED');
  }

  get(resource: string, namespace: string, name: string): Obj {
    const obj = this.objects.get(key(resource, namespace, name));
    if (!obj) throw new StatusError(404, 'NotFound', `${resource} "${name}" not found`);
    return clone(obj);
  }

  list(resource: string, namespace: string, selector: string | null): { items: Obj[]; resourceVersion: string } {
    const prefix = `${resource}/${namespace}/`;
    const items = [...this.objects.entries()].filter(([k, o]) => k.startsWith(prefix) && matches(o, selector)).map(([, o]) => clone(o));
    return { items, resourceVersion: String(this.rv) };
  }

  /** PUT: the whole object; uid, creation time and a pending deletion are the server's, not the client's. */
  replace(resource: string, namespace: string, name: string, body: Obj): Obj {
    const old = this.objects.get(key(resource, namespace, name));
    if (!old) throw new StatusError(404, 'NotFound', `${resource} "${name}" not found`);
    const sent = body.metadata?.resourceVersion;
    if (sent && sent !== old.metadata.resourceVersion) throw new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    const obj = clone(body);
    obj.metadata = { ...obj.metadata, name, namespace, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp };
    if (old.metadata.deletionTimestamp) {
      obj.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      // Finalizers may be removed, never added, once deletion began; the last one going ends it.
      if ((obj.metadata.finalizers ?? []).length === 0) return this.write(resource, namespace, obj, 'DELETED');
    }
    return this.write(resource, namespace, obj, 'MODIFIED');
  }

  /** The kubelet's and scheduler's writes (the status subresource and the binding). */
  patchPod(namespace: string, name: string, change: (pod: Obj) => void): Obj {
    const pod = this.objects.get(key('pods', namespace, name));
    if (!pod) throw new StatusError(404, 'NotFound', `pods "${name}" not found`);
    const next = clone(pod);
    change(next);
    return this.write('pods', namespace, next, 'MODIFIED');
  }

  delete(resource: string, namespace: string, name: string, gracePeriodSeconds: number | null): Obj {
    const obj = this.objects.get(key(resource, namespace, name));
    if (!obj) throw new StatusError(404, 'NotFound', `${resource} "${name}" not found`);
    const next = clone(obj);
    const spec = (next.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const grace = gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    const graceful = resource === 'pods' && Boolean(spec.nodeName) && grace > 0;
    const finalizers = (next.metadata.finalizers ?? []).length > 0;
    if (next.metadata.deletionTimestamp) {
      // Deleting again: a kubelet's grace 0 ends a graceful deletion; finalizers still hold it.
      if (graceful || finalizers) return clone(next);
      return this.write(resource, namespace, next, 'DELETED');
    }
    if (!graceful && !finalizers) return this.write(resource, namespace, next, 'DELETED');
    next.metadata.deletionTimestamp = new Date(Date.now() + (graceful ? grace * 1000 : 0)).toISOString();
    if (graceful) next.metadata.deletionGracePeriodSeconds = grace;
    return this.write(resource, namespace, next, 'MODIFIED');
  }

  /** Background garbage collection: dependents whose owners are all gone are deleted. */
  private collectGarbage(): void {
    const uids = new Set([...this.objects.values()].map((o) => o.metadata.uid));
    for (const [k, obj] of [...this.objects.entries()]) {
      const owners = obj.metadata.ownerReferences ?? [];
      if (owners.length === 0 || owners.some((o) => uids.has(o.uid)) || obj.metadata.deletionTimestamp) continue;
      const [resource, namespace, name] = k.split('/') as [string, string, string];
      this.tally(`gc ${resource}`);
      this.delete(resource, namespace, name, null);
    }
  }
}
