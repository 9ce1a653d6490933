/**
 * The built web UI (web/dist): the dashboard at /, the room page at /rooms/:id, assets under
 * /assets/ (content-hashed by Vite, so cacheable for a long time).
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import { serveStatic } from '@hono/node-server/serve-static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOM_ID_PATTERN } from '../../rooms/ids.js';

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>streambox</title>
<p style="font:16px system-ui;margin:3em">The web UI is not built. Run <code>npm run build</code>, then restart the service.</p>`;

export function webRoutes(webDir: string) {
  // serveStatic complains at creation when its root is missing: make it once the UI exists.
  let assets: MiddlewareHandler | null = null;
  const page = (file: string) => async (c: Context, next: () => Promise<void>) => {
    if (!existsSync(join(webDir, file))) return c.html(NOT_BUILT, 503);
    c.header('Cache-Control', 'no-cache');
    return serveStatic({ root: webDir, path: file })(c, next);
  };
  return new Hono<AppEnv>()
    .get('/', page('index.html'))
    .get('/rooms/:id', async (c, next) => {
      if (!ROOM_ID_PATTERN.test(c.req.param('id'))) return c.notFound();
      return page('room.html')(c, next);
    })
    .use('/assets/*', async (c, next) => {
      await next();
      if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=31536000, immutable');
    })
    .get('/assets/*', async (c, next) => {
      if (!existsSync(webDir)) return c.notFound();
      assets ??= serveStatic({ root: webDir });
      return assets(c, next);
    });
}
