/**
 * RoomService, for participants of one room: Join (password rooms), GetConfiguration, Wake (a room
 * stopped for being idle starts again; rooms/sessionLimits.ts), GetVncToken.
 * Open rooms need no login (their ID is unguessable); password rooms need the room cookie from Join.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';
import { validate } from '../validate.js';
import { joinSchema, roomIdParam, vncTokenSchema } from '../schemas.js';
import { clientAddress, grantRoomAccess, hasRoomAccess, isAdmin, linkBases, publicBaseUrl } from '../access.js';
import { roomView, vncUrl } from '../views.js';
import { AppError, conflict, forbidden, rateLimited } from '../../errors.js';
import type { LoginThrottle } from '../../auth/throttle.js';
import type { RoomRecord } from '../../rooms/types.js';

export function roomServiceRoutes(ctx: AppContext, joinThrottle: LoginThrottle) {
  const accessibleRoom = (c: Parameters<typeof hasRoomAccess>[1], id: string) => {
    const room = ctx.rooms.get(id);
    if (!hasRoomAccess(ctx, c, room)) throw new AppError(401, 'room_password_required', 'this room needs its password: join first');
    return room;
  };

  const participantView = async (c: Context, room: RoomRecord) =>
    roomView(room, await ctx.rooms.status(room), publicBaseUrl(ctx, c), ctx.config, ctx.presence.summary(room.id), ctx.sessions.view(room), linkBases(ctx, c), ctx.media.playback.playToken(room));

  return new Hono<AppEnv>()
    .post('/:id/join', validate('param', roomIdParam), validate('json', joinSchema), async (c) => {
      const room = ctx.rooms.get(c.req.valid('param').id);
      if (!room.passwordHash) return c.json({ joined: true }); // open: the link is the access
      const client = `${clientAddress(c)}:${room.id}`;
      const waitMs = joinThrottle.begin(client); // counted before the check (see throttle.ts)
      if (waitMs > 0) throw rateLimited(Math.ceil(waitMs / 1000));
      if (!(await ctx.rooms.checkPassword(room, c.req.valid('json').password ?? null))) {
        throw new AppError(401, 'wrong_room_password', 'password: is wrong', 'password');
      }
      joinThrottle.succeeded(client);
      grantRoomAccess(ctx, c, room); // a grant of its own: revocable alone (a kick)
      return c.json({ joined: true });
    })
    .get('/:id/configuration', validate('param', roomIdParam), async (c) => {
      const room = accessibleRoom(c, c.req.valid('param').id);
      return c.json(await participantView(c, room));
    })
    .post('/:id/wake', validate('param', roomIdParam), async (c) => {
      const room = accessibleRoom(c, c.req.valid('param').id); // who may enter may wake it
      return c.json(await participantView(c, await ctx.sessions.wake(room.id)));
    })
    .post('/:id/vnc-token', validate('param', roomIdParam), validate('json', vncTokenSchema), async (c) => {
      const room = accessibleRoom(c, c.req.valid('param').id);
      if (room.desiredState !== 'running') throw conflict(`room ${room.id} is not running`);
      const { participantId, participantKey } = c.req.valid('json');
      if (!ctx.presence.verify(room.id, participantId, participantKey)) throw new AppError(401, 'unknown_participant', 'participantKey: does not match a participant of this room', 'participantKey');
      const who = { participantId, isAdmin: isAdmin(ctx, c) };
      if (!ctx.control.mayDrive(room.id, who)) throw forbidden('someone else is in control of this room');
      const { token, expiresAt } = ctx.vnc.issueToken({ roomId: room.id, ...who });
      return c.json({ token, expiresAt: expiresAt.toISOString(), vncUrl: vncUrl(publicBaseUrl(ctx, c), room.id) });
    });
}
