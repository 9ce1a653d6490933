/**
 * Security headers on every answer of the admin service (pages, API, errors):
 * - a CSP with no inline script or style: the Vite build has none (checked in test/unit and in a
 *   real Chromium, test/security/edge.test.ts); video.js's injected <style> is off
 *   (VIDEOJS_NO_DYNAMIC_STYLE); MSE plays from blob: URLs; hls.js runs its worker from a blob:;
 *   the room channel, fast path and VNC are WebSockets to this host (ws: or wss:);
 * - no framing (frame-ancestors 'none', X-Frame-Options for old browsers), no MIME sniffing;
 * - Referrer-Policy no-referrer: room IDs are secrets and sit in the page's URL.
 */
import type { MiddlewareHandler } from 'hono';

/** The host this page was addressed to, when it is safe to put in a header (else null). */
function safeHost(host: string | undefined): string | null {
  return host && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? host : null;
}

export function contentSecurityPolicy(host: string | null): string {
  // 'self' covers ws:/wss: of this origin in CSP 3 browsers; the explicit entries are for older ones.
  const sockets = host ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(hostOf: (c: Parameters<MiddlewareHandler>[0]) => string | undefined): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('Content-Security-Policy', contentSecurityPolicy(safeHost(hostOf(c))));
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
  };
}
