/**
 * Composition root: reads the config, builds the context and the runtime (systemd, or Kubernetes
 * when STREAMBOX_RUNTIME says so), starts the HTTP server, reconciles the rooms with the runtime,
 * and shuts everything down on SIGTERM. No business rules here.
 */
import { loadConfig, roomRtmpBase } from './config.js';
import { consoleLogger as log } from './log.js';
import { openDb } from './store/db.js';
import { SystemdRuntime } from './runtime/systemd/runtime.js';
import { createApp } from './app.js';
import { createContext } from './context.js';
import { createIngestServer } from './media/ingestServer.js';
import { startEdgeServers } from './http/edgeServer.js';
import { installProcessGuard } from './http/processGuard.js';
import { createMetricsServer } from './metrics/listener.js';
import { roomCost } from './rooms/capacity.js';
import type { Config } from './config.js';
import type { RoomRuntime } from './runtime/types.js';

async function createRuntime(config: Config): Promise<RoomRuntime> {
  if (config.runtime.kind === 'systemd') return new SystemdRuntime({ busAddress: config.busAddress, envDir: config.roomsEnvDir, rtmpUrlBase: roomRtmpBase(config), vncSocketDir: config.vncSocketDir, log });
  // Loaded only when chosen: the appliance never loads the Kubernetes client.
  const { KubernetesRuntime } = await import('./runtime/kubernetes/runtime.js');
  const k = config.runtime.kubernetes;
  const runtime = new KubernetesRuntime({
    kubeconfig: k.kubeconfig,
    namespace: k.namespace,
    image: k.roomImage,
    rtmpUrlBase: roomRtmpBase(config),
    recordingsClaim: k.recordingsClaim,
    profileSize: k.profileSize,
    roomCores: (shape) => roomCost(shape, config.capacity.model),
    log,
  });
  log.info('rooms run on Kubernetes', { namespace: runtime.namespace, image: k.roomImage });
  return runtime;
}

async function main(): Promise<void> {
  installProcessGuard(log);
  const config = loadConfig();
  const db = openDb(config.dbPath);
  const runtime = await createRuntime(config);
  const ctx = createContext({ config, db, runtime, log });
  await ctx.auth.ensureCredential();
  const app = createApp(ctx);
  const servers = await startEdgeServers({ fetch: app.fetch, log, tcp: { host: config.listenHost, port: config.listenPort }, edgeSocket: config.edgeSocket });

  // Watching connects to the runtime; every (re)connection reconciles the rooms with it.
  ctx.rooms.watchRuntime();
  ctx.presence.start();
  ctx.sessions.start();
  ctx.media.start();
  void ctx.recordings.start(); // takes up recorders that ran on while the service was down
  ctx.roomCpu.start();
  const ingest = createIngestServer(ctx.media, log);
  const { host: ingestHost, port: ingestPort } = config.ingestListen;
  ingest.listen(ingestPort, ingestHost, () => log.info(`media ingest listening on ${ingestHost}:${ingestPort}`));
  const metricsServer = config.metricsListen ? createMetricsServer(ctx.metrics, log) : null;
  if (metricsServer && config.metricsListen) {
    const { host, port } = config.metricsListen;
    // A taken port costs the metrics listener, never the service.
    metricsServer.on('error', (err) => log.warn('metrics listener not started', { host, port, err: err.message }));
    metricsServer.listen(port, host, () => log.info(`metrics on http://${host}:${port}/metrics`));
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    ctx.presence.stop();
    ctx.sessions.stop();
    ctx.media.stop();
    ctx.recordings.stop(); // the recorders run on (their own units); the next start takes them up
    ctx.roomCpu.stop();
    ingest.close();
    metricsServer?.close();
    for (const server of servers) server.close();
    ctx.rooms.close();
    void runtime.close().finally(() => {
      db.close();
      process.exit(0);
    });
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  log.error('streambox admin failed to start', { err: (err as Error).stack ?? String(err) });
  process.exit(1);
});
