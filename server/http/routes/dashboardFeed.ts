/**
 * GET /api/dashboard/feed (admin): the dashboard's room list pushed as server-sent events instead
 * of polled every 2 s. Each `rooms` event carries the same body as ListRooms, sent when it differs
 * from the last one sent: at once when the rooms service reports a change (create, delete, start,
 * stop, or a unit change from the runtime's watch), and after a one-second look at what the watch
 * does not signal (who is in each room). Statuses come from the watch-fed cache
 * (rooms/statusCache.ts), so an idle feed costs systemd nothing.
 *
 * A comment line every 20 s keeps proxies (nginx's proxy_read_timeout is 60 s) from closing an
 * idle stream; `X-Accel-Buffering: no` stops nginx from holding events back.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';
import { requireAdmin } from '../access.js';
import { listRoomViews } from './dashboard.js';

const LOOK_MS = 1000;
const KEEPALIVE_MS = 20_000;

export function dashboardFeedRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().use(requireAdmin(ctx)).get('/', (c) => {
    c.header('X-Accel-Buffering', 'no');
    c.header('Cache-Control', 'no-store');
    return streamSSE(c, async (stream) => {
      let last = '';
      let sending: Promise<void> | null = null;
      let again = false;
      const send = async (): Promise<void> => {
        const body = JSON.stringify(await listRoomViews(ctx, c));
        if (body === last || stream.aborted) return;
        last = body;
        await stream.writeSSE({ event: 'rooms', data: body });
      };
      // One send at a time; a change during a send is looked at right after it.
      const look = () => {
        if (sending) {
          again = true;
          return;
        }
        sending = send()
          .catch((err) => ctx.log.warn('dashboard feed: send failed', { err: (err as Error).message }))
          .finally(() => {
            sending = null;
            if (again) {
              again = false;
              look();
            }
          });
      };
      const unsubscribe = ctx.rooms.onChange(look);
      const lookTimer = setInterval(look, LOOK_MS);
      const keepalive = setInterval(() => void stream.write(': keepalive\n\n').catch(() => undefined), KEEPALIVE_MS);
      try {
        look();
        await new Promise<void>((resolve) => stream.onAbort(resolve));
      } finally {
        unsubscribe();
        clearInterval(lookTimer);
        clearInterval(keepalive);
      }
    });
  });
}
