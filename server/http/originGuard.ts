/**
 * CSRF and cross-site WebSocket defence: a state-changing request (POST, PUT, PATCH, DELETE) and
 * every WebSocket upgrade must come from one of the appliance's own origins, whatever cookie it
 * carries. SameSite=Strict cookies alone do not stop a same-site attacker (another service on the
 * same host name or IP on another port, a sibling subdomain), and WebSockets have no CORS at all.
 *
 * - Origin present (every browser sends it on POST and on WebSockets): it must be this request's
 *   own origin, the same host on the appliance's other scheme (http <-> https ports), or
 *   STREAMBOX_PUBLIC_URL. `Origin: null` (sandboxed frames, file:) is refused.
 * - No Origin but Sec-Fetch-Site: only same-origin (or none: typed by the user) passes.
 * - Neither: not a browser (curl, scripts with the cookie or the room link). Allowed: such a
 *   client holds its credentials itself, so there is no confused deputy to protect.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { requestOrigin } from './access.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const originOf = (scheme: 'http' | 'https', hostname: string, port: number) => new URL(`${scheme}://${hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname}:${port}`).origin;

/** The origins a page of this appliance can have, for this request. */
export function ownOrigins(c: Context, config: Pick<Config, 'publicUrl' | 'httpPort' | 'httpsPort'>): Set<string> {
  const self = new URL(requestOrigin(c));
  const origins = new Set([self.origin, originOf('http', self.hostname, config.httpPort), originOf('https', self.hostname, config.httpsPort)]);
  if (config.publicUrl) origins.add(new URL(config.publicUrl).origin);
  return origins;
}

function refuse(message: string): AppError {
  return new AppError(403, 'cross_origin_refused', message, 'origin');
}

export function originGuard(config: Pick<Config, 'publicUrl' | 'httpPort' | 'httpsPort'>): MiddlewareHandler {
  return async (c, next) => {
    const upgrade = c.req.header('upgrade') !== undefined;
    if (SAFE_METHODS.has(c.req.method) && !upgrade) return next();
    checkOrigin(c, config);
    return next();
  };
}

/** Throws 403 cross_origin_refused unless this request may come from where it says it does (rules above). */
export function checkOrigin(c: Context, config: Pick<Config, 'publicUrl' | 'httpPort' | 'httpsPort'>): void {
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    let normalised: string | null = null;
    try {
      normalised = origin === 'null' ? null : new URL(origin).origin;
    } catch {
      normalised = null;
    }
    if (normalised === null || !ownOrigins(c, config).has(normalised)) {
      throw refuse(`origin: '${origin.slice(0, 100)}' is not this appliance; requests that change something (and WebSockets) must come from its own pages`);
    }
    return;
  }
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw refuse(`origin: a ${site.slice(0, 20)} request may not change anything here`);
}
