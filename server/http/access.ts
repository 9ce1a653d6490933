/** Who is asking: the admin session, room access for password-protected rooms, the client's address. */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AppContext } from './context.js';
import type { AppEnv } from './env.js';
import { AppError, invalidArgument, unauthenticated } from '../errors.js';
import type { RoomRecord } from '../rooms/types.js';
import { readTlsStatus, type TlsStatus } from '../tls/status.js';
import { isEdgeSocket } from './edgeServer.js';

export const ADMIN_COOKIE = 'sbx_admin';
const roomCookie = (roomId: string) => `sbx_room_${roomId}`;

/** The Node socket under this request; undefined under app.request() (tests, in-process), which has no env at all. */
function socketOf(c: Context<AppEnv>): unknown {
  const env: AppEnv['Bindings'] | undefined = c.env;
  return env?.incoming?.socket;
}

/**
 * X-Real-IP / X-Forwarded-* only from nginx: requests on its unix socket (edgeServer.ts). On the
 * TCP port (any local process can connect) they are ignored. Under app.request() there is no
 * socket at all: tests set them to stand in for nginx.
 */
export function forwardedHeader(c: Context<AppEnv>, name: 'x-real-ip' | 'x-forwarded-proto' | 'x-forwarded-host'): string | undefined {
  const socket = socketOf(c);
  if (socket !== undefined && !isEdgeSocket(socket)) return undefined;
  return c.req.header(name);
}

/** Secure cookies whenever the page was reached over HTTPS (directly or through nginx). */
export function isHttps(c: Context): boolean {
  const forwarded = forwardedHeader(c, 'x-forwarded-proto');
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

/** Gives this client a grant of its own for the room (a Join with the right password). */
export function grantRoomAccess(ctx: AppContext, c: Context, room: RoomRecord): void {
  const { token, expiresAt } = ctx.grants.issue(room.id);
  setCookie(c, roomCookie(room.id), token, cookieOptions(c, Math.floor((expiresAt.getTime() - Date.now()) / 1000)));
}

/** The ID of the grant this request's room cookie holds (null: none, expired or revoked). */
export function roomGrant(ctx: AppContext, c: Context, room: RoomRecord): string | null {
  return ctx.grants.check(room.id, getCookie(c, roomCookie(room.id)));
}

export function hasRoomAccess(ctx: AppContext, c: Context, room: RoomRecord): boolean {
  if (!room.passwordHash || isAdmin(ctx, c)) return true;
  return roomGrant(ctx, c, room) !== null;
}

/** The client's address: nginx's X-Real-IP on the edge socket, else the TCP peer. */
export function clientAddress(c: Context): string {
  const real = forwardedHeader(c, 'x-real-ip');
  if (real) return real.slice(0, 64);
  let remote: string | undefined;
  try {
    remote = getConnInfo(c).remote.address;
  } catch {
    remote = undefined; // app.request() in tests has no socket
  }
  return remote || 'local';
}

/** A client on this machine's loopback (a secure context even on plain HTTP), or app.request() in tests. */
export function isLoopbackClient(c: Context): boolean {
  const a = clientAddress(c);
  return a === 'local' || a === '::1' || /^(::ffff:)?127\./.test(a);
}

/**
 * Admin credentials only over HTTPS, or from loopback: refuses with 403 https_required otherwise,
 * whether or not nginx (which refuses it too) is in front.
 */
export function requireSecureChannel(): MiddlewareHandler {
  return async (c, next) => {
    if (!isHttps(c) && !isLoopbackClient(c)) {
      throw new AppError(403, 'https_required', 'the admin password goes over HTTPS only: open the dashboard on its https:// address');
    }
    await next();
  };
}

/** The host name (no port) this request was addressed to, e.g. `192.0.2.2` or `[fd00::2]`. */
export function requestHostname(c: Context): string {
  const host = forwardedHeader(c, 'x-forwarded-host') ?? c.req.header('host') ?? new URL(c.req.url).host;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    throw invalidArgument('host', `is not a host name: '${host.slice(0, 100)}'`);
  }
  if (!hostname || /[/?#@\s]/.test(host)) throw invalidArgument('host', `is not a host name: '${host.slice(0, 100)}'`);
  return hostname;
}

export interface LinkBases {
  /** Origin of the link to share (the https one when the appliance serves HTTPS). */
  primary: string;
  https: string | null;
  /** Plain-HTTP origin, only where room pages are served on plain HTTP (the appliance's own CA). */
  http: string | null;
  tls: TlsStatus | null;
}

const origin = (scheme: 'http' | 'https', hostname: string, port: number, standard: number) => `${scheme}://${hostname}${port === standard ? '' : `:${port}`}`;

/**
 * Where links point. STREAMBOX_PUBLIC_URL wins; on the appliance (streambox-tls has written its
 * status) links are https on this request's host, plus plain http in the appliance-CA mode;
 * elsewhere (dev server, tests) whatever the client used.
 */
export function linkBases(ctx: AppContext, c: Context): LinkBases {
  const tls = readTlsStatus(ctx.config.tlsDir);
  const httpOk = tls?.source === 'self';
  if (ctx.config.publicUrl) {
    const pub = new URL(ctx.config.publicUrl);
    const https = pub.protocol === 'https:' ? pub.origin : null;
    return { primary: pub.origin, https, http: pub.protocol === 'http:' ? pub.origin : httpOk ? origin('http', pub.hostname, ctx.config.httpPort, 80) : null, tls };
  }
  if (tls) {
    const hostname = requestHostname(c);
    const https = origin('https', hostname, ctx.config.httpsPort, 443);
    return { primary: https, https, http: httpOk ? origin('http', hostname, ctx.config.httpPort, 80) : null, tls };
  }
  const base = publicBaseUrl(ctx, c).origin;
  return { primary: base, https: base.startsWith('https:') ? base : null, http: base.startsWith('http:') ? base : null, tls };
}

/** Base URL for links in responses: STREAMBOX_PUBLIC_URL, else what the client used. */
export function publicBaseUrl(ctx: AppContext, c: Context): URL {
  if (ctx.config.publicUrl) return new URL(ctx.config.publicUrl);
  return new URL(requestOrigin(c));
}

/**
 * The origin this request was addressed to (`https://box.lan:8443`), from nginx's forwarded
 * headers or the request itself. A Host that is no host name is a 400 naming the field, never a 500.
 */
export function requestOrigin(c: Context): string {
  const url = new URL(c.req.url);
  const host = forwardedHeader(c, 'x-forwarded-host') ?? c.req.header('host') ?? url.host;
  const proto = forwardedHeader(c, 'x-forwarded-proto') ?? url.protocol.replace(':', '');
  if (proto !== 'http' && proto !== 'https') throw invalidArgument('x-forwarded-proto', 'must be http or https');
  const field = forwardedHeader(c, 'x-forwarded-host') !== undefined ? 'x-forwarded-host' : 'host';
  let parsed: URL;
  try {
    parsed = new URL(`${proto}://${host}`);
  } catch {
    throw invalidArgument(field, `is not a host name: '${host.slice(0, 100)}'`);
  }
  if (!parsed.hostname || /[/?#@\s\\]/.test(host)) throw invalidArgument(field, `is not a host name: '${host.slice(0, 100)}'`);
  return parsed.origin;
}
