/**
 * Composition root: reads the config, builds the context, starts the HTTP server, reconciles the
 * rooms with systemd, and shuts everything down on SIGTERM. No business rules here.
 */
import { serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { loadConfig } from './config.js';
import { consoleLogger as log } from './log.js';
import { openDb } from './store/db.js';
import { RoomStore } from './store/roomStore.js';
import { AuthStore } from './store/authStore.js';
import { SystemdRuntime } from './runtime/systemd/runtime.js';
import { RoomsService } from './rooms/service.js';
import { AdminAuth } from './auth/adminAuth.js';
import { LoginThrottle } from './auth/throttle.js';
import { VncTokens } from './control/vncTokens.js';
import { anyoneMayDrive } from './control/policy.js';
import { newSecret } from './rooms/ids.js';
import { createApp } from './app.js';
import type { AppContext } from './http/context.js';
import { VncGateway } from './vnc/gateway.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = openDb(config.dbPath);
  const authStore = new AuthStore(db);
  const clock = () => new Date();
  const runtime = new SystemdRuntime({ busAddress: config.busAddress, envDir: config.roomsEnvDir, rtmpUrlBase: config.rtmpPublishBase, log });
  const rooms = new RoomsService({ store: new RoomStore(db), runtime, clock, log });
  const auth = new AdminAuth({ store: authStore, throttle: new LoginThrottle(Date.now), clock, log, dataDir: config.dataDir, passwordFile: config.adminPasswordFile });
  await auth.ensureCredential();

  const vncTokens = new VncTokens(Date.now);
  const control = anyoneMayDrive;
  const ctx: AppContext = {
    config,
    log,
    rooms,
    auth,
    runtime,
    vncTokens,
    control,
    vnc: new VncGateway({ config, log, rooms, vncTokens, control }),
    cookieSecret: authStore.getOrCreateSetting('cookie_secret', () => newSecret(32)),
    storeHealthy: () => {
      try {
        db.prepare('SELECT 1').get();
        return true;
      } catch {
        return false;
      }
    },
  };
  const app = createApp(ctx);
  const websocket = { server: new WebSocketServer({ noServer: true, maxPayload: 1 << 20 }) };
  const server = serve({ fetch: app.fetch, hostname: config.listenHost, port: config.listenPort, websocket }, (info) => {
    log.info(`streambox admin listening on http://${info.address}:${info.port}`);
  });

  // Watching connects to systemd; every (re)connection reconciles the rooms with their units.
  rooms.watchRuntime();

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    server.close();
    rooms.close();
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
