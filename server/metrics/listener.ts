/**
 * The metrics for a Prometheus on this machine: GET /metrics on a loopback listener
 * (STREAMBOX_METRICS_LISTEN, default 127.0.0.1:9464), with no login, so scraping needs no admin
 * session. It answers nothing else. Set it to `off` to have only the admin's GET /api/metrics.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';

export function createMetricsServer(metrics: Metrics, log: Logger): Server {
  return createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: Error) => {
        log.warn('metrics: scrape failed', { err: err.message });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected; see the journal\n');
      },
    );
  });
}

/** STREAMBOX_METRICS_LISTEN: `host:port`, or `off`. */
export function parseMetricsListen(value: string | undefined): { host: string; port: number } | null {
  const text = value === undefined || value === '' ? '127.0.0.1:9464' : value;
  if (text === 'off') return null;
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`STREAMBOX_METRICS_LISTEN must be host:port or off, got '${value}'`);
  return { host: m[1]!, port };
}
