/** Builds the Hono app from an injected context: no module-level state, so tests use app.request(). */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppContext } from './http/context.js';
import { handleError, errorBody } from './http/errors.js';
import { authRoutes } from './http/routes/auth.js';
import { healthRoutes } from './http/routes/health.js';
import { dashboardRoutes } from './http/routes/dashboard.js';
import { roomServiceRoutes } from './http/routes/roomService.js';
import { LoginThrottle } from './auth/throttle.js';
import { webRoutes } from './http/routes/web.js';
import { tlsRoutes } from './http/routes/tls.js';
import { playbackRoutes } from './http/routes/playback.js';
import { roomAdminRoutes } from './http/routes/roomAdmin.js';
import { capacityRoutes } from './http/routes/capacity.js';
import { dashboardFeedRoutes } from './http/routes/dashboardFeed.js';
import { countApiErrors, metricsRoutes } from './http/routes/metrics.js';
import { securityHeaders } from './http/securityHeaders.js';
import { originGuard } from './http/originGuard.js';
import { forwardedHeader } from './http/access.js';
import type { AppEnv } from './http/env.js';
import { roomSocketGuard } from './http/roomSocket.js';
import { recordingRoutes } from './http/routes/recordings.js';

export const MAX_BODY_BYTES = 16 * 1024;

export function createApp(ctx: AppContext, now: () => number = Date.now) {
  const app = new Hono<AppEnv>();
  app.onError(handleError(ctx.log));
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.use('*', countApiErrors(ctx));
  app.use('*', securityHeaders((c) => forwardedHeader(c, 'x-forwarded-host') ?? c.req.header('host')));
  // Before every route: cross-site POST/PUT/PATCH/DELETE and WebSocket upgrades are refused.
  app.use('*', originGuard(ctx.config));
  app.use('/api/*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json(errorBody('payload_too_large', `body: must be at most ${MAX_BODY_BYTES} bytes`, 'body'), 413) }));
  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });

  app.route('/api/health', healthRoutes(ctx));
  app.route('/', tlsRoutes(ctx));
  // A room's three WebSockets, one guard (room ID, room, upgrade, Origin, access: roomSocket.ts).
  app.get('/api/rooms/:id/vnc', roomSocketGuard(ctx, 'token'), ...ctx.vnc.handlers());
  app.get('/api/rooms/:id/events', roomSocketGuard(ctx, 'room'), ...ctx.presence.handlers());
  app.get('/api/rooms/:id/media', roomSocketGuard(ctx, 'room'), ctx.media.handler());
  app.route('/api/auth', authRoutes(ctx));
  app.route('/api/playback', playbackRoutes(ctx));
  app.route('/api/capacity', capacityRoutes(ctx));
  app.route('/api/dashboard/feed', dashboardFeedRoutes(ctx));
  app.route('/api/metrics', metricsRoutes(ctx));
  // Room-service routes (participants) first: their paths are more specific than the dashboard's.
  app.route('/api/rooms', recordingRoutes(ctx)); // its own checks: the driver or the admin, or the admin
  app.route('/api/rooms', roomServiceRoutes(ctx, new LoginThrottle(now)));
  app.route('/api/rooms', roomAdminRoutes(ctx));
  app.route('/api/rooms', dashboardRoutes(ctx));
  app.route('/', webRoutes(ctx.config.webDir));
  return app;
}
