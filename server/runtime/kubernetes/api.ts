/**
 * The Kubernetes API as the runtime uses it: a few calls on Pods, Secrets and claims in one
 * namespace, each with a timeout, and their failures sorted into what the runtime acts on.
 * The one module that calls @kubernetes/client-node (its siblings import only its types; nothing
 * outside server/runtime/kubernetes/ imports it at all).
 *
 * Quirks of the API and of @kubernetes/client-node 1.x, learned here:
 * - A failed call throws ApiException whose `code` is the HTTP status and whose `body` is the
 *   response text: a Status object (kind Status, reason AlreadyExists / NotFound / Gone, message).
 *   https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/
 * - A call to an unreachable server throws node-fetch's FetchError (ECONNREFUSED, ETIMEDOUT...),
 *   and a server that accepts the connection but never answers is never given up on: every call
 *   here has its own timeout.
 * - Objects from typed calls carry Date objects for timestamps; those from the watch are the raw
 *   JSON, with strings (podState.ts reads both).
 * - In a cluster, the service account's token and CA are read from
 *   /var/run/secrets/kubernetes.io/serviceaccount/ (loadFromCluster), its namespace from the
 *   `namespace` file there.
 */
import { ApiException, CoreV1Api, KubeConfig, VersionApi, Watch, type V1PersistentVolumeClaim, type V1Pod, type V1Secret } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The API answered with an error Status. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    /** The Status's reason: AlreadyExists, NotFound, Gone, Forbidden, Invalid, ... */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** No answer: the server is down, unreachable, or too slow. */
export class KubeUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeUnreachableError';
  }
}

export interface KubeApiOptions {
  /** A kubeconfig file (development); null: the in-cluster service account. */
  kubeconfig: string | null;
  /** Null: the kubeconfig context's namespace, or the service account's, or `default`. */
  namespace: string | null;
  callTimeoutMs?: number;
}

function parseStatus(body: unknown): { reason: string; message: string } | null {
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { kind?: string; reason?: string; message?: string };
    return status?.kind === 'Status' ? { reason: status.reason ?? '', message: status.message ?? '' } : null;
  } catch {
    return null;
  }
}

export class KubeApi {
  readonly namespace: string;
  /** Where the API server is, for messages. */
  readonly server: string;
  private readonly core: CoreV1Api;
  private readonly version: VersionApi;
  private readonly kc: KubeConfig;
  private readonly callTimeoutMs: number;

  constructor(opts: KubeApiOptions) {
    this.kc = new KubeConfig();
    if (opts.kubeconfig) this.kc.loadFromFile(opts.kubeconfig);
    else this.kc.loadFromCluster();
    this.server = this.kc.getCurrentCluster()?.server ?? '(no cluster)';
    this.namespace = opts.namespace ?? this.contextNamespace(opts.kubeconfig === null) ?? 'default';
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.version = this.kc.makeApiClient(VersionApi);
    this.callTimeoutMs = opts.callTimeoutMs ?? 10_000;
  }

  private contextNamespace(inCluster: boolean): string | null {
    const fromContext = this.kc.getContextObject(this.kc.getCurrentContext())?.namespace;
    if (fromContext) return fromContext;
    if (!inCluster) return null;
    try {
      return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || null;
    } catch {
      return null;
    }
  }

  /** Runs one call with a timeout and turns its failure into KubeApiError or KubeUnreachableError. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KubeUnreachableError(`${what}: no answer from ${this.server} within ${this.callTimeoutMs} ms`)), this.callTimeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof KubeUnreachableError) throw err;
      if (err instanceof ApiException) {
        const status = parseStatus(err.body);
        throw new KubeApiError(err.code, status?.reason ?? '', `${what}: ${status?.message || `HTTP ${err.code}`}`);
      }
      throw new KubeUnreachableError(`${what}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  readPod(name: string): Promise<V1Pod> {
    return this.call(`get pod ${name}`, () => this.core.readNamespacedPod({ name, namespace: this.namespace }));
  }

  createPod(body: V1Pod): Promise<V1Pod> {
    return this.call(`create pod ${body.metadata?.name}`, () => this.core.createNamespacedPod({ namespace: this.namespace, body }));
  }

  deletePod(name: string, gracePeriodSeconds: number): Promise<V1Pod> {
    return this.call(`delete pod ${name}`, () => this.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds }));
  }

  async listPods(labelSelector: string): Promise<{ items: V1Pod[]; resourceVersion: string }> {
    const list = await this.call('list pods', () => this.core.listNamespacedPod({ namespace: this.namespace, labelSelector }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  createSecret(body: V1Secret): Promise<V1Secret> {
    return this.call(`create secret ${body.metadata?.name}`, () => this.core.createNamespacedSecret({ namespace: this.namespace, body }));
  }

  replaceSecret(body: V1Secret): Promise<V1Secret> {
    const name = body.metadata?.name ?? '';
    return this.call(`replace secret ${name}`, () => this.core.replaceNamespacedSecret({ name, namespace: this.namespace, body }));
  }

  async deleteSecret(name: string): Promise<void> {
    await this.call(`delete secret ${name}`, () => this.core.deleteNamespacedSecret({ name, namespace: this.namespace }));
  }

  createClaim(body: V1PersistentVolumeClaim): Promise<V1PersistentVolumeClaim> {
    return this.call(`create persistentvolumeclaim ${body.metadata?.name}`, () => this.core.createNamespacedPersistentVolumeClaim({ namespace: this.namespace, body }));
  }

  readClaim(name: string): Promise<V1PersistentVolumeClaim> {
    return this.call(`get persistentvolumeclaim ${name}`, () => this.core.readNamespacedPersistentVolumeClaim({ name, namespace: this.namespace }));
  }

  async deleteClaim(name: string): Promise<void> {
    await this.call(`delete persistentvolumeclaim ${name}`, () => this.core.deleteNamespacedPersistentVolumeClaim({ name, namespace: this.namespace }));
  }

  async serverVersion(): Promise<string> {
    const info = await this.call('get version', () => this.version.getCode());
    return info.gitVersion;
  }

  /**
   * Watches the namespace's Pods from `resourceVersion`: `onEvent` for each line of the stream,
   * `onEnd` once when it ends (null: the server closed it, as it does after its timeout). Returns
   * a function that ends it.
   */
  async watchPods(labelSelector: string, resourceVersion: string, onEvent: (type: string, obj: unknown) => void, onEnd: (err: unknown) => void): Promise<() => void> {
    const watch = new Watch(this.kc);
    const controller = await watch.watch(`/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`, { labelSelector, resourceVersion, allowWatchBookmarks: true }, onEvent, onEnd);
    return () => controller.abort();
  }
}

export const isNotFound = (err: unknown) => err instanceof KubeApiError && err.code === 404;
export const isConflict = (err: unknown) => err instanceof KubeApiError && err.code === 409;
