/**
 * Secrets of the audience path (nginx-rtmp and HLS), all derived from the service's secret, so
 * nothing extra is stored per room:
 * - the publish key a room's encoder presents to nginx-rtmp (`on_publish`);
 * - the RTMP playback token of a password room, handed only to those who may watch (the Room
 *   view's `stream.rtmp`). It is bound to the room's password hash, so a password change voids
 *   every token issued before it (nginx-rtmp's `on_update` re-checks playing clients every 30 s),
 *   and it expires: `EXP.SIG`, EXP in seconds since the epoch, rounded up to the hour so that the
 *   URL a viewer copies stays the same for an hour.
 */
import { hmac, safeEqual } from '../auth/secrets.js';

export const PLAY_TOKEN_LIFETIME_S = 12 * 3600;
const ROUND_S = 3600;

export interface PlaybackRoom {
  id: string;
  passwordHash: string | null;
}

export class PlaybackKeys {
  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key the room's encoder adds to its RTMP publish name (`ID?key=KEY`). */
  publishKey(roomId: string): string {
    return hmac(this.secret, `rtmp-publish:${roomId}`).slice(0, 32);
  }

  checkPublishKey(roomId: string, key: string | undefined): boolean {
    return typeof key === 'string' && safeEqual(key, this.publishKey(roomId));
  }

  private signature(room: PlaybackRoom, exp: number): string {
    return hmac(this.secret, `rtmp-play:${room.id}:${exp}:${room.passwordHash ?? ''}`).slice(0, 32);
  }

  /** A playback token for this room, valid 12-13 hours (null for open rooms: none needed). */
  playToken(room: PlaybackRoom): string | null {
    if (!room.passwordHash) return null;
    const exp = Math.ceil((this.now() / 1000 + PLAY_TOKEN_LIFETIME_S) / ROUND_S) * ROUND_S;
    return `${exp}.${this.signature(room, exp)}`;
  }

  /** Open rooms need no token; a password room's must match its current password and not be expired. */
  mayPlay(room: PlaybackRoom, token: string | undefined): boolean {
    if (!room.passwordHash) return true;
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{32})$/.exec(token ?? '');
    if (!m) return false;
    const exp = Number(m[1]);
    if (exp * 1000 <= this.now()) return false;
    return safeEqual(m[2]!, this.signature(room, exp));
  }
}
