/**
 * Recording a room (server/recordings/):
 * - POST /api/rooms/:id/recording/start and /stop: the admin (session cookie), or the room's
 *   driver, who proves who they are with the channel's participant ID and key (as for
 *   GetVncToken). Anyone else in the room gets 403.
 * - GET /api/rooms/:id/recordings: the room's recordings with size and duration, what is being
 *   recorded, and the disk limits (admin).
 * - GET /api/rooms/:id/recordings/:recordingId: the MP4 as a download, byte ranges too (admin).
 * - DELETE /api/rooms/:id/recordings/:recordingId (admin).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';
import { validate } from '../validate.js';
import { recordingActorSchema, recordingParam, roomIdParam } from '../schemas.js';
import { hasRoomAccess, isAdmin, requireAdmin } from '../access.js';
import { AppError, forbidden } from '../../errors.js';
import { sendFile } from '../fileDownload.js';
import type { RoomRecord } from '../../rooms/types.js';

type Actor = z.infer<typeof recordingActorSchema>;

export function recordingRoutes(ctx: AppContext) {
  /** Who asks to start or stop: 'admin', or the participant ID of the room's driver. */
  const actor = (c: Context<AppEnv>, room: RoomRecord, body: Actor): string => {
    if (isAdmin(ctx, c)) return 'admin';
    if (!hasRoomAccess(ctx, c, room)) throw new AppError(401, 'room_password_required', 'this room needs its password: join first');
    const { participantId, participantKey } = body;
    if (!participantId || !participantKey) throw new AppError(401, 'unauthenticated', 'participantKey: the driver or the admin may record; say who you are (participantId, participantKey)', 'participantKey');
    if (!ctx.presence.verify(room.id, participantId, participantKey)) throw new AppError(401, 'unknown_participant', 'participantKey: does not match a participant of this room', 'participantKey');
    if (ctx.arbiter.holder(room.id) !== participantId) throw forbidden('only the driver (whoever has control) or the admin may start or stop recording');
    return participantId;
  };
  const storage = async () => ({ ...(await ctx.recordings.diskUse()), ...ctx.config.recordingLimits });

  return new Hono<AppEnv>()
    .post('/:id/recording/:action{start|stop}', validate('param', roomIdParam.extend({ action: z.enum(['start', 'stop']) })), validate('json', recordingActorSchema), async (c) => {
      const { id, action } = c.req.valid('param');
      const room = ctx.rooms.get(id);
      const by = actor(c, room, c.req.valid('json'));
      if (action === 'start') return c.json({ recording: await ctx.recordings.startRecording(room.id, by) }, 201);
      return c.json({ recording: await ctx.recordings.stopRecording(room.id, by) });
    })
    .get('/:id/recordings', requireAdmin(ctx), validate('param', roomIdParam), async (c) => {
      const room = ctx.rooms.get(c.req.valid('param').id);
      const indicator = ctx.recordings.indicator(room.id);
      return c.json({ recording: indicator, recordings: await ctx.recordings.list(room.id), storage: await storage() });
    })
    .get('/:id/recordings/:recordingId', requireAdmin(ctx), validate('param', recordingParam), async (c) => {
      const { id, recordingId } = c.req.valid('param');
      const file = await ctx.recordings.file(id, recordingId);
      return sendFile(c, file, `streambox-${id}-${recordingId}.mp4`, 'video/mp4');
    })
    .delete('/:id/recordings/:recordingId', requireAdmin(ctx), validate('param', recordingParam), async (c) => {
      const { id, recordingId } = c.req.valid('param');
      await ctx.recordings.remove(id, recordingId);
      return c.body(null, 204);
    });
}
