/** GET /api/health: no login; 200 when the service, its store and systemd answer, else 503. */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';

export function healthRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().get('/', async (c) => {
    const store = ctx.storeHealthy();
    const runtime = await ctx.runtime.health();
    const ok = store && runtime.ok;
    return c.json(
      { ok, service: { ok: true }, store: { ok: store }, runtime: { ok: runtime.ok, detail: runtime.detail } },
      ok ? 200 : 503,
    );
  });
}
