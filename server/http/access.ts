/** Who is asking: the admin session, room access for password-protected rooms, the client's address. */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AppContext } from './context.js';
import { unauthenticated } from '../errors.js';
import { hmac, safeEqual } from '../auth/secrets.js';
import type { RoomRecord } from '../rooms/types.js';

export const ADMIN_COOKIE = 'sbx_admin';
const roomCookie = (roomId: string) => `sbx_room_${roomId}`;

/** Secure cookies whenever the page was reached over HTTPS (directly or through a proxy). */
function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto');
  return (forwarded ?? new URL(c.req.url).protocol.replace(':', '')) === 'https';
}

function cookieOptions(c: Context, maxAgeSeconds: number) {
  return { httpOnly: true, sameSite: 'Strict' as const, secure: isHttps(c), path: '/', maxAge: maxAgeSeconds };
}

export function setAdminCookie(c: Context, token: string, maxAgeSeconds: number): void {
  setCookie(c, ADMIN_COOKIE, token, cookieOptions(c, maxAgeSeconds));
}

export function clearAdminCookie(c: Context): void {
  deleteCookie(c, ADMIN_COOKIE, { path: '/' });
}

export function isAdmin(ctx: AppContext, c: Context): boolean {
  return ctx.auth.isValidSession(getCookie(c, ADMIN_COOKIE));
}

export function requireAdmin(ctx: AppContext): MiddlewareHandler {
  return async (c, next) => {
    if (!isAdmin(ctx, c)) throw unauthenticated('log in as the admin first');
    await next();
  };
}

/** The room cookie proves the password was given; it dies when the room's password changes. */
function roomAccessValue(ctx: AppContext, room: RoomRecord): string {
  return hmac(ctx.cookieSecret, `${room.id}:${room.passwordHash ?? ''}`);
}

export function grantRoomAccess(ctx: AppContext, c: Context, room: RoomRecord): void {
  setCookie(c, roomCookie(room.id), roomAccessValue(ctx, room), { ...cookieOptions(c, 7 * 24 * 3600), path: `/` });
}

export function hasRoomAccess(ctx: AppContext, c: Context, room: RoomRecord): boolean {
  if (!room.passwordHash || isAdmin(ctx, c)) return true;
  const value = getCookie(c, roomCookie(room.id));
  return value !== undefined && safeEqual(value, roomAccessValue(ctx, room));
}

/** The client's address; behind the appliance's nginx (loopback) its X-Real-IP header. */
export function clientAddress(c: Context): string {
  let remote: string | undefined;
  try {
    remote = getConnInfo(c).remote.address;
  } catch {
    remote = undefined; // app.request() in tests has no socket
  }
  const loopback = !remote || remote === '127.0.0.1' || remote === '::1' || remote === '::ffff:127.0.0.1';
  return (loopback && c.req.header('x-real-ip')) || remote || 'local';
}

/** Base URL for links in responses: STREAMBOX_PUBLIC_URL, else what the client used. */
export function publicBaseUrl(ctx: AppContext, c: Context): URL {
  if (ctx.config.publicUrl) return new URL(ctx.config.publicUrl);
  const url = new URL(c.req.url);
  const host = c.req.header('x-forwarded-host') ?? c.req.header('host') ?? url.host;
  const proto = c.req.header('x-forwarded-proto') ?? url.protocol.replace(':', '');
  return new URL(`${proto}://${host}`);
}
