/**
 * The HTTP listeners of the admin service, hardened against hostile clients:
 *
 * - Every Upgrade request is answered. Node hands any request with `Connection: upgrade` to the
 *   'upgrade' listeners and forgets it; @hono/node-server's listener returns at once for anything
 *   but `Upgrade: websocket` (index.mjs, setupWebSocket), so an `Upgrade: h2c` request was never
 *   answered nor closed (a CLOSE-WAIT socket for good) and, with no error listener on that socket,
 *   a reset on it was an uncaught ECONNRESET that killed the process. Here one wrapper owns the
 *   'upgrade' event: it puts an error listener on every socket first, refuses non-WebSocket
 *   upgrades with 400 and closes them, and only then lets Hono's listener handle WebSockets
 *   (Hono's own refusals need it to be the only listener: `listenerCount("upgrade") === 1`).
 * - Two listeners: the TCP port (STREAMBOX_ADMIN_LISTEN, for local tools; forwarded headers are
 *   ignored there) and, on the appliance, a unix socket only nginx can reach (its directory is
 *   0750 root:www-data): requests on it are "from the edge", and only theirs X-Real-IP and
 *   X-Forwarded-* are believed (see access.ts).
 */
import { createAdaptorServer } from '@hono/node-server';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { chmodSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { WebSocketServer } from 'ws';
import type { Logger } from '../log.js';

/** Marks sockets accepted on the edge (nginx-only) listener. */
const EDGE = Symbol('streambox.edge');

type FetchCallback = Parameters<typeof createAdaptorServer>[0]['fetch'];

/** Did this socket come in through the nginx-only unix socket? */
export function isEdgeSocket(socket: unknown): boolean {
  return typeof socket === 'object' && socket !== null && (socket as { [EDGE]?: boolean })[EDGE] === true;
}

const UPGRADE_REFUSED = JSON.stringify({ error: { code: 'upgrade_refused', message: 'Upgrade: only websocket, and only on /api/rooms/ID/events, /media and /vnc' } });

/** Answers an Upgrade request we will not take, then closes the connection (and gives up on it after 2 s). */
function refuseUpgrade(socket: Duplex): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(UPGRADE_REFUSED)}\r\n\r\n${UPGRADE_REFUSED}`);
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** Replaces the server's 'upgrade' listeners by one that answers every upgrade (see the header). */
export function hardenUpgrades(server: Server, log: Logger): void {
  const websocketHandlers = server.listeners('upgrade') as Array<(req: IncomingMessage, socket: Duplex, head: Buffer) => void>;
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node removed its own error listener at the hand-off: without one a reset is uncaught.
    socket.on('error', (err: NodeJS.ErrnoException) => log.info('client socket error during an upgrade', { code: err.code ?? err.message }));
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || websocketHandlers.length === 0) return refuseUpgrade(socket);
    for (const handler of websocketHandlers) handler(req, socket, head);
  });
  // Ordinary requests need nothing here: Node's own socket listener turns errors into
  // 'clientError', whose default answers 400/431 or destroys the socket.
}

export interface EdgeServerOptions {
  fetch: FetchCallback;
  log: Logger;
  /** TCP listener for local tools (forwarded headers ignored). */
  tcp: { host: string; port: number };
  /** Unix socket for nginx (forwarded headers believed); null when there is no nginx in front. */
  edgeSocket: string | null;
  maxPayload?: number;
}

function makeServer(fetch: FetchCallback, log: Logger, maxPayload: number): Server {
  const websocket = { server: new WebSocketServer({ noServer: true, maxPayload }) };
  const server = createAdaptorServer({ fetch, websocket }) as Server;
  hardenUpgrades(server, log);
  return server;
}

/** Starts the listeners; resolves when all of them listen. */
export async function startEdgeServers(opts: EdgeServerOptions): Promise<Server[]> {
  const { log, fetch } = opts;
  const maxPayload = opts.maxPayload ?? 1 << 20;
  const tcp = makeServer(fetch, log, maxPayload);
  const servers: Server[] = [tcp];
  await listen(tcp, () => tcp.listen(opts.tcp.port, opts.tcp.host));
  log.info(`streambox admin listening on http://${opts.tcp.host}:${opts.tcp.port} (direct: forwarded headers ignored)`);
  if (opts.edgeSocket) {
    const path = opts.edgeSocket;
    const edge = makeServer(fetch, log, maxPayload);
    edge.on('connection', (socket) => Object.defineProperty(socket, EDGE, { value: true }));
    try {
      unlinkSync(path); // a socket left by the previous run
    } catch {
      /* none */
    }
    await listen(edge, () => edge.listen(path));
    // The directory decides who may connect (nginx's group); the socket itself is open.
    chmodSync(path, 0o666);
    const dirMode = statSync(dirname(path)).mode & 0o777;
    if (dirMode & 0o007) log.warn('the edge socket directory is open to every local user: anyone can pose as nginx', { dir: dirname(path), mode: dirMode.toString(8) });
    log.info(`streambox admin listening for nginx on unix:${path}`);
    servers.push(edge);
  }
  return servers;
}

function listen(server: Server, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    start();
  });
}
