/**
 * GET /api/metrics (admin): the metrics in Prometheus' text format (metrics/metrics.ts). A
 * Prometheus on the appliance itself scrapes main.ts's loopback listener instead, without a login.
 * Also the middleware that counts API errors by their code.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';
import { requireAdmin } from '../access.js';

export function metricsRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().use(requireAdmin(ctx)).get('/', async (c) => {
    c.header('Content-Type', ctx.metrics.contentType);
    return c.body(await ctx.metrics.text());
  });
}

/** Counts every answer of 400 and above by its `error.code` (or `none` for a body without one). */
export function countApiErrors(ctx: AppContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const status = c.res.status;
    if (status < 400) return;
    const json = (c.res.headers.get('content-type') ?? '').includes('application/json');
    const code = json ? await c.res.clone().json().then((b: { error?: { code?: unknown } }) => (typeof b?.error?.code === 'string' ? b.error.code : 'none'), () => 'none') : 'none';
    ctx.metrics.apiErrors.inc({ code, status: String(status) });
  };
}
