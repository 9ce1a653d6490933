/**
 * The admin's hold on one room's audience: who is here, removing someone (a kick), and the room's
 * password. Admin only.
 *
 * A kick closes the participant's channel (close code 4010) and, in a password room, revokes the
 * grant they joined with, which closes every other channel on that grant and makes their cookie
 * worthless: they need the password again. In an open room the link is the access: a removed
 * participant can come back with it (the answer says so); set a password to keep them out.
 * A password change (or a new password on an open room) revokes every grant of the room and closes
 * every channel but the admins' (4011); removing the password (null) opens the room.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';
import { validate } from '../validate.js';
import { participantParam, roomIdParam, roomPasswordSchema } from '../schemas.js';
import { requireAdmin } from '../access.js';
import { conflict, notFound } from '../../errors.js';
import { CLOSE_PASSWORD_CHANGED, CLOSE_REMOVED } from '../../../protocol/closeCodes.js';


export function roomAdminRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .use(requireAdmin(ctx))
    .get('/:id/participants', validate('param', roomIdParam), (c) => {
      const room = ctx.rooms.get(c.req.valid('param').id);
      const s = ctx.arbiter.state(room.id);
      return c.json({ participants: s.participants.map((p) => ({ id: p.id, name: p.name, isAdmin: p.isAdmin, holder: p.id === s.holder, requesting: s.requests.includes(p.id) })) });
    })
    .delete('/:id/participants/:participantId', validate('param', participantParam), (c) => {
      const { id, participantId } = c.req.valid('param');
      const room = ctx.rooms.get(id);
      const target = ctx.arbiter.state(room.id).participants.find((p) => p.id === participantId);
      if (!target) throw notFound(`participant ${participantId} in room ${room.id}`);
      if (target.isAdmin) throw conflict('that participant is the admin (with the admin session they can always come back)');
      const [closed] = ctx.presence.closeWhere(room.id, (p) => p.id === participantId, CLOSE_REMOVED, 'removed from the room by its host');
      const grant = closed?.grant ?? null;
      let others = 0;
      if (grant) {
        ctx.grants.revoke(grant);
        others = ctx.presence.closeWhere(room.id, (p) => p.grant === grant, CLOSE_REMOVED, 'removed from the room by its host').length;
        // Their fast-path stream too: a hostile page would not close it itself. (HLS: nginx's
        // cached yes for that cookie lasts ≤ 5 s; an open room's link is its access anyway.)
        others += ctx.media.closeViewers(room.id, (v) => v.grant === grant, CLOSE_REMOVED, 'removed from the room by its host');
      }
      ctx.log.info('participant removed', { room: room.id, participant: participantId, accessRevoked: grant !== null });
      return c.json({
        removed: true,
        channelsClosed: (closed ? 1 : 0) + others,
        accessRevoked: grant !== null,
        canRejoin: room.passwordHash === null,
        ...(room.passwordHash === null ? { note: 'this room is open: anyone with its link, this person too, can join again; set a password to keep them out' } : {}),
      });
    })
    .put('/:id/password', validate('param', roomIdParam), validate('json', roomPasswordSchema), async (c) => {
      const { id } = c.req.valid('param');
      const { password } = c.req.valid('json');
      const room = await ctx.rooms.setPassword(id, password);
      const revoked = ctx.grants.revokeRoom(room.id);
      // With a (new) password, everyone but the admins must give it: close their channels.
      const closed = password === null ? [] : ctx.presence.closeWhere(room.id, (p) => !p.isAdmin, CLOSE_PASSWORD_CHANGED, "the room's password changed");
      if (password !== null) ctx.media.closeViewers(room.id, (v) => !v.isAdmin, CLOSE_PASSWORD_CHANGED, "the room's password changed");
      ctx.log.info('room password changed', { room: room.id, open: password === null, grantsRevoked: revoked, channelsClosed: closed.length });
      return c.json({ changed: true, passwordProtected: room.passwordHash !== null, grantsRevoked: revoked, channelsClosed: closed.length });
    });
}
