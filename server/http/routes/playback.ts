/**
 * nginx asks these before it serves the audience path (provisioning/nginx/):
 * - GET /api/playback/hls-access: nginx's `auth_request` for every file under /hls/ (the
 *   original path in X-Original-URI). 204 with `X-Streambox-Access: open` (anyone, cacheable)
 *   or `private` (this request carries the room's access), else 401 (password room, no access)
 *   or 403 (no such room, or a path that names none). nginx caches the answer a few seconds per
 *   room and cookie, so a viewer's fragments do not each cost a round trip.
 * - POST /api/playback/rtmp/{publish,play,update}: nginx-rtmp's `on_publish`, `on_play` and
 *   `on_update` (form fields name, addr, call and the URL's own query: key=, token=). Any 2xx
 *   lets the client go on, anything else disconnects it.
 * Both answer only whether access holds: nothing here changes state or reveals more than
 * GetConfiguration does.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';
import { hasRoomAccess } from '../access.js';
import { isRoomId } from '../../rooms/ids.js';
import type { RoomRecord } from '../../rooms/types.js';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

export function playbackRoutes(ctx: AppContext) {
  const prefix = ctx.config.hlsPathPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // ID.m3u8 (the playlist) or ID-N.ts (fragments, hls_fragment_naming system).
  const hlsFile = new RegExp(`^${prefix}/([a-z2-7]+)(?:\\.m3u8|-\\d+\\.ts)$`);
  const roomOf = (id: string | undefined): RoomRecord | null => {
    if (!id || !isRoomId(id) || !ctx.rooms.exists(id)) return null;
    return ctx.rooms.get(id);
  };
  const refuse = (c: Context, status: 401 | 403) => c.body(null, status);
  // On the appliance the encoders publish from the machine itself, so a publisher elsewhere is
  // refused even with a key. On Kubernetes they are the rooms' Pods, at addresses known to no one
  // here: the room's key alone decides (deploy/kubernetes/base/rtmp.yaml).
  const anyPublisherAddress = ctx.config.runtime.kind === 'kubernetes';
  const publisherAddressOk = (addr: string | undefined) => anyPublisherAddress || LOOPBACK.test(addr ?? '');

  return new Hono<AppEnv>()
    .get('/hls-access', (c) => {
      const room = roomOf(hlsFile.exec(c.req.header('x-original-uri') ?? '')?.[1]);
      if (!room) return refuse(c, 403);
      if (!room.passwordHash) return c.body(null, 204, { 'X-Streambox-Access': 'open' });
      if (!hasRoomAccess(ctx, c, room)) return refuse(c, 401);
      return c.body(null, 204, { 'X-Streambox-Access': 'private' });
    })
    .post('/rtmp/:call{publish|play|update}', async (c) => {
      const form = await c.req.parseBody();
      const field = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : undefined);
      const name = field('name');
      const call = c.req.param('call') === 'update' ? field('call') : c.req.param('call');
      const room = roomOf(name);
      const publishing = call === 'publish' || call === 'update_publish';
      let ok = false;
      if (room && publishing) ok = publisherAddressOk(field('addr')) && ctx.media.playback.checkPublishKey(room.id, field('key'));
      else if (room && (call === 'play' || call === 'update_play')) ok = ctx.media.playback.mayPlay(room, field('token'));
      if (ok) return c.body(null, 204);
      const detail = { call, room: name?.slice(0, 40), addr: field('addr') };
      if (publishing) ctx.log.warn('playback: RTMP publish refused', detail);
      else ctx.log.info('playback: RTMP play refused', detail);
      return refuse(c, 403);
    });
}
