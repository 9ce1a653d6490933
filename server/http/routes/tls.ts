/**
 * The appliance's certificate, for the dashboard and participants (no login):
 * `GET /api/tls` (which certificate nginx serves, and the https/http addresses for this host) and
 * `GET /ca.crt` (the appliance CA to trust, when the appliance uses its own CA).
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import type { AppContext } from '../context.js';
import { errorBody } from '../errors.js';
import { linkBases } from '../access.js';
import { readApplianceCa, type TlsStatus } from '../../tls/status.js';

/** GET /api/tls: the status streambox-tls wrote (nulls without one) and the links for this host. */
export interface TlsInfo extends Omit<TlsStatus, 'source'> {
  source: TlsStatus['source'] | null;
  httpsPort: number;
  httpPort: number;
  httpsUrl: string | null;
  httpUrl: string | null;
  /** Room pages are served on plain HTTP too (the appliance's own CA). */
  roomPagesOnHttp: boolean;
  caUrl: string | null;
}

export function tlsRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .get('/api/tls', (c) => {
      const links = linkBases(ctx, c);
      const s = links.tls;
      const info: TlsInfo = {
        source: s?.source ?? null,
        reason: s ? s.reason : 'no certificate status here (streambox-tls has not run on this machine)',
        subject: s?.subject ?? null,
        names: s?.names ?? [],
        notAfter: s?.notAfter ?? null,
        fingerprintSha256: s?.fingerprintSha256 ?? null,
        caFingerprintSha256: s?.caFingerprintSha256 ?? null,
        updatedAt: s?.updatedAt ?? null,
        httpsPort: ctx.config.httpsPort,
        httpPort: ctx.config.httpPort,
        httpsUrl: links.https,
        httpUrl: links.http,
        roomPagesOnHttp: s?.source === 'self',
        caUrl: s?.source === 'self' && readApplianceCa(ctx.config.tlsDir) !== null ? '/ca.crt' : null,
      };
      return c.json(info);
    })
    .get('/ca.crt', (c) => {
      const pem = readApplianceCa(ctx.config.tlsDir);
      if (pem === null) return c.json(errorBody('not_found', 'this appliance has no CA of its own (it serves an operator or ACME certificate, or none was made yet)'), 404);
      c.header('Content-Type', 'application/x-x509-ca-cert');
      c.header('Content-Disposition', 'attachment; filename="streambox-ca.crt"');
      c.header('Cache-Control', 'no-cache');
      return c.body(pem);
    });
}
