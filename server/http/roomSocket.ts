/**
 * The one gate in front of a room's three WebSocket routes: the room channel (/events), the fast
 * path (/media) and VNC (/vnc). Before any of them upgrades it checks, in this order:
 *
 *   the room ID's shape (400) -> the room exists (404) -> a WebSocket upgrade (400) -> an Origin of
 *   this appliance (403, the rules of originGuard.ts, which the app runs first as well: here so a
 *   route is safe wherever it is mounted) -> room access (401: the password room's cookie, or the
 *   admin session), except on VNC, whose single-use token (vnc/gateway.ts) is its access
 *
 * and hands the route what it found as `c.get('roomSocket')`. Everything past it ends in an upgrade.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppContext } from './context.js';
import type { AppEnv } from './env.js';
import { AppError } from '../errors.js';
import { isRoomId } from '../rooms/ids.js';
import { clientAddress, hasRoomAccess, isAdmin, roomGrant } from './access.js';
import { checkOrigin } from './originGuard.js';

export type RoomSocketAccess =
  /** The room's own access: open rooms to anyone with the link, password rooms to a grant or the admin. */
  | 'room'
  /** The route checks a token of its own (VNC); the room's cookie is not asked for. */
  | 'token';

export function roomSocketGuard(ctx: AppContext, access: RoomSocketAccess): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = c.req.param('id') ?? '';
    if (!isRoomId(id)) throw new AppError(400, 'invalid_argument', 'id: is not a room ID', 'id');
    const room = ctx.rooms.get(id); // 404
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new AppError(400, 'invalid_argument', 'upgrade: a WebSocket upgrade is required', 'upgrade');
    checkOrigin(c, ctx.config);
    const admin = isAdmin(ctx, c);
    if (access === 'room' && !hasRoomAccess(ctx, c, room)) throw new AppError(401, 'room_password_required', 'this room needs its password: join first');
    const grant = access === 'room' && room.passwordHash ? roomGrant(ctx, c, room) : null;
    c.set('roomSocket', { room, isAdmin: admin, grant, address: clientAddress(c) });
    await next();
  };
}
