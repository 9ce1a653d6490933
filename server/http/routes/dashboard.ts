/** DashboardService: ListRooms, CreateRoom, GetRoom, DeleteRoom (+ start/stop). Admin only. */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';
import { validate } from '../validate.js';
import { createRoomSchema, roomConfigOf, roomIdParam } from '../schemas.js';
import { linkBases, publicBaseUrl, requireAdmin } from '../access.js';
import { roomView } from '../views.js';
import type { RoomRecord } from '../../rooms/types.js';
import type { Context } from 'hono';

/** A room as the admin sees it, with links for this request's host and scheme. */
export async function adminRoomView(ctx: AppContext, c: Context, room: RoomRecord) {
  return roomView(room, await ctx.rooms.status(room), publicBaseUrl(ctx, c), ctx.config, ctx.presence.summary(room.id), linkBases(ctx, c), ctx.media.playback.playToken(room));
}

/** ListRooms' body (also what the dashboard feed pushes). */
export async function listRoomViews(ctx: AppContext, c: Context) {
  return { rooms: await Promise.all(ctx.rooms.list().map((room) => adminRoomView(ctx, c, room))) };
}

export function dashboardRoutes(ctx: AppContext) {
  const view = (c: Context, room: RoomRecord) => adminRoomView(ctx, c, room);

  return new Hono<AppEnv>()
    .use(requireAdmin(ctx))
    .get('/', async (c) => c.json(await listRoomViews(ctx, c)))
    .post('/', validate('json', createRoomSchema), async (c) => {
      const body = c.req.valid('json');
      const room = await ctx.rooms.create({ name: body.name, config: roomConfigOf(body), password: body.password ?? null });
      c.header('Location', `/api/rooms/${room.id}`);
      return c.json(await view(c, room), 201);
    })
    .get('/:id', validate('param', roomIdParam), async (c) => c.json(await view(c, ctx.rooms.get(c.req.valid('param').id))))
    .delete('/:id', validate('param', roomIdParam), async (c) => {
      await ctx.rooms.delete(c.req.valid('param').id);
      return c.body(null, 204);
    })
    .post('/:id/start', validate('param', roomIdParam), async (c) => c.json(await view(c, await ctx.rooms.start(c.req.valid('param').id))))
    .post('/:id/stop', validate('param', roomIdParam), async (c) => c.json(await view(c, await ctx.rooms.stop(c.req.valid('param').id))));
}
