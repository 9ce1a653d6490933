/**
 * An in-process fake of the Kubernetes API server, over real HTTP (node:http on 127.0.0.1, an
 * ephemeral port), for exactly the calls the room runtime makes (server/runtime/kubernetes/).
 *
 * No real API server can be installed on these machines: none is packaged in Debian 12/13 or on
 * npm (kube-apiserver, k3s, kind, minikube, envtest all download binaries or images). So this fake
 * follows the Kubernetes API documentation, cited at each behaviour here and in fakeKubeStore.ts
 * (the objects, versions, deletion and garbage collection); test/support/fakeKubelet.ts plays the
 * scheduler and the kubelet. Where the runtime relies on a behaviour, the fake has it; what the
 * runtime never calls answers 404 (or 405).
 *
 * - Paths: /api/v1/namespaces/NS/RESOURCE[/NAME], /version.
 *   https://kubernetes.io/docs/reference/using-api/api-concepts/#standard-api-terminology
 * - POST creates: 201 with the object. GET reads or lists (the list's metadata.resourceVersion is
 *   where a watch starts). PUT replaces: 200. DELETE: 200 with the object (a Pod still terminating
 *   shows its deletionTimestamp), or a Success Status (other kinds); gracePeriodSeconds from the
 *   query or from DeleteOptions in the body.
 *   https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#operations
 *   https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/delete-options/
 * - Errors are Status objects with the HTTP status as their code: 404 NotFound, 409 AlreadyExists,
 *   422 Invalid, 401 Unauthorized (a bearer token is required when the fake has one).
 *   https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/
 * - GET ?watch=1: 200, then one JSON event a line ({"type": ADDED|MODIFIED|DELETED, "object"}),
 *   in the order of the writes, each object carrying its new resourceVersion. From
 *   ?resourceVersion=N: every change after N. Without one: synthetic ADDED events for what exists,
 *   then the changes ("Get State and Start at Most Recent"). From a version older than the history
 *   holds: an ERROR event whose object is a Status with code 410 (reason Gone), then the end of the
 *   stream; with `goneAsHttpStatus`, the watch request itself is answered 410 instead (servers do
 *   both). ?timeoutSeconds ends the stream, as the server's own watch timeout does.
 *   https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
 *   https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-watch
 *   https://kubernetes.io/docs/reference/using-api/api-concepts/#410-gone-responses
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FakeKubeStore, RESOURCES, StatusError, matches, type Obj, type StoreEvent } from './fakeKubeStore.js';

export interface FakeKubeApiOptions {
  /** The bearer token every request must carry (none: any request passes). */
  token?: string;
  /** Answer a too-old watch with HTTP 410 rather than an ERROR event. */
  goneAsHttpStatus?: boolean;
}

export class FakeKubeApi {
  readonly store = new FakeKubeStore();
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** Open watches, each with the function that ends it. */
  private readonly watches = new Map<ServerResponse, () => void>();
  private port = 0;
  goneAsHttpStatus: boolean;

  constructor(private readonly opts: FakeKubeApiOptions = {}) {
    this.goneAsHttpStatus = opts.goneAsHttpStatus ?? false;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after stop()). */
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** The server goes away: open connections (watches too) are cut, new ones refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.watches.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Ends every open watch cleanly, as the server does when a watch's timeout is up. */
  endWatches(): void {
    for (const end of [...this.watches.values()]) end();
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /**
   * A kubeconfig (YAML is JSON's superset) that points at this server. The fake speaks plain HTTP,
   * which @kubernetes/client-node accepts only from a cluster marked insecure-skip-tls-verify.
   */
  kubeconfig(namespace = 'streambox'): string {
    const user = this.opts.token ? { token: this.opts.token } : {};
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace } }],
      'current-context': 'fake',
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.opts.token && req.headers.authorization !== `Bearer ${this.opts.token}`) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      const url = new URL(req.url ?? '/', this.url);
      if (url.pathname === '/version') return send(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-fake' });
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
      if (!m || !RESOURCES[m[2]!]) throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${req.method} ${url.pathname})`);
      const [, namespace, resource, name] = m as unknown as [string, string, string, string | undefined];
      const q = url.searchParams;
      const body = req.method === 'POST' || req.method === 'PUT' || req.method === 'DELETE' ? await readJson(req) : null;
      this.store.tally(`${req.method} ${resource}${name ? '/name' : ''}${q.get('watch') ? ' watch' : ''}`);
      if (!name && req.method === 'POST') return send(res, 201, this.store.create(resource, namespace, body as Obj));
      if (!name && req.method === 'GET' && (q.get('watch') === '1' || q.get('watch') === 'true')) return this.watch(res, resource, namespace, q);
      if (!name && req.method === 'GET') {
        const list = this.store.list(resource, namespace, q.get('labelSelector'));
        return send(res, 200, { kind: `${RESOURCES[resource]}List`, apiVersion: 'v1', metadata: { resourceVersion: list.resourceVersion }, items: list.items });
      }
      if (name && req.method === 'GET') return send(res, 200, this.store.get(resource, namespace, name));
      if (name && req.method === 'PUT') return send(res, 200, this.store.replace(resource, namespace, name, body as Obj));
      if (name && req.method === 'DELETE') {
        const fromQuery = q.get('gracePeriodSeconds');
        const fromBody = (body as { gracePeriodSeconds?: number } | null)?.gracePeriodSeconds;
        const grace = fromQuery !== null ? Number(fromQuery) : (fromBody ?? null);
        const obj = this.store.delete(resource, namespace, name, grace);
        if (resource === 'pods') return send(res, 200, obj);
        return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: resource, uid: obj.metadata.uid } });
      }
      throw new StatusError(405, 'MethodNotAllowed', `${req.method} is not supported here`);
    } catch (err) {
      if (err instanceof StatusError) return send(res, err.code, err.status());
      send(res, 500, new StatusError(500, 'InternalError', (err as Error).message).status());
    }
  }

  private watch(res: ServerResponse, resource: string, namespace: string, q: URLSearchParams): void {
    const selector = q.get('labelSelector');
    const from = q.get('resourceVersion');
    const relevant = (e: StoreEvent) => e.resource === resource && e.namespace === namespace && matches(e.object, selector);
    let backlog: Array<{ type: string; object: unknown }>;
    if (from && from !== '0') {
      try {
        backlog = this.store.since(Number(from)).filter(relevant);
      } catch (err) {
        if (!(err instanceof StatusError) || this.goneAsHttpStatus) throw err;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: err.status() })}\n`);
        return;
      }
    } else {
      backlog = this.store.list(resource, namespace, selector).items.map((object) => ({ type: 'ADDED', object }));
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders(); // the API server answers a watch at once, before any event
    const write = (event: { type: string; object: unknown }) => res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    for (const event of backlog) write(event);
    const unsubscribe = this.store.subscribe((e) => {
      if (relevant(e)) write(e);
    });
    const timeout = Number(q.get('timeoutSeconds') ?? '0');
    // Ended by the server (its timeout, endWatches) or by the client going away: no event after.
    const end = () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      this.watches.delete(res);
      if (!res.writableEnded) res.end();
    };
    const timer = timeout > 0 ? setTimeout(end, timeout * 1000) : null;
    this.watches.set(res, end);
    res.on('close', end);
  }
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new StatusError(400, 'BadRequest', 'the body is not JSON');
  }
}
