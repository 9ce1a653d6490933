/** DashboardService: ListRooms, CreateRoom, GetRoom, DeleteRoom (+ start/stop, extend the session, reset browser). Admin only. */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';
import { validate } from '../validate.js';
import { createRoomSchema, roomConfigOf, roomIdParam } from '../schemas.js';
import { linkBases, publicBaseUrl, requireAdmin } from '../access.js';
import { roomView } from '../views.js';
import type { EncoderHealth, RoomRecord, RoomUsage } from '../../rooms/types.js';
import { isBehind } from '../../media/encoderPace.js';
import type { Context } from 'hono';

/** A room as the admin sees it, with links for this request's host and scheme, and how its encoder keeps up. */
export async function adminRoomView(ctx: AppContext, c: Context, room: RoomRecord) {
  const status = { ...(await ctx.rooms.status(room)), encoder: encoderHealth(ctx, room), usage: usage(ctx, room), resettingBrowser: ctx.rooms.resettingBrowser(room.id) };
  return roomView(room, status, publicBaseUrl(ctx, c), ctx.config, ctx.presence.summary(room.id), ctx.sessions.view(room), linkBases(ctx, c), ctx.media.playback.playToken(room));
}

function encoderHealth(ctx: AppContext, room: RoomRecord): EncoderHealth | null {
  const pace = ctx.media.stats(room.id)?.encoder;
  if (!pace || room.desiredState !== 'running') return null;
  return { fps: pace.fps, targetFps: room.config.fps, speed: pace.speed, behind: isBehind(pace, room.config.fps) };
}

function usage(ctx: AppContext, room: RoomRecord): RoomUsage | null {
  if (room.desiredState !== 'running') return null;
  const cpu = ctx.roomCpu.of(room.id);
  // Whole percents: the feed pushes only when the body changes, not at every wobble of a decimal.
  return { cpuPercent: cpu === null ? null : Math.round(cpu), fastPathViewers: ctx.media.stats(room.id)?.viewers ?? 0 };
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
    .post('/:id/stop', validate('param', roomIdParam), async (c) => c.json(await view(c, await ctx.rooms.stop(c.req.valid('param').id))))
    // A new session for a running room: its time limit counts from now (rooms/sessionLimits.ts).
    .post('/:id/extend', validate('param', roomIdParam), async (c) => c.json(await view(c, await ctx.rooms.extend(c.req.valid('param').id))))

    .post('/:id/browser/reset', validate('param', roomIdParam), async (c) => c.json(await view(c, await ctx.rooms.resetBrowser(c.req.valid('param').id))));
}
