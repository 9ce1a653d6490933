/**
 * streambox-ingest.service: the ingest buffer (server.ts) on its own. Settings, from
 * /etc/streambox/streambox.env like the admin service's:
 * - STREAMBOX_INGEST_LISTEN: where the encoders push (the address the admin service writes into
 *   each room's env file), default 127.0.0.1:8081;
 * - STREAMBOX_INGEST_UPSTREAM: the admin service's own ingest listener, default 127.0.0.1:8082.
 */
import { consoleLogger as log } from '../log.js';
import { hostPort } from '../config.js';
import { createIngestBuffer } from './server.js';

const listen = hostPort(process.env.STREAMBOX_INGEST_LISTEN, { host: '127.0.0.1', port: 8081 }, 'STREAMBOX_INGEST_LISTEN');
const upstream = hostPort(process.env.STREAMBOX_INGEST_UPSTREAM, { host: '127.0.0.1', port: 8082 }, 'STREAMBOX_INGEST_UPSTREAM');
const buffer = createIngestBuffer({ upstream, log });
buffer.server.listen(listen.port, listen.host, () => log.info(`ingest buffer on ${listen.host}:${listen.port}, forwarding to ${upstream.host}:${upstream.port}`));
buffer.server.on('error', (err) => {
  log.error('ingest buffer: cannot listen', { err: err.message });
  process.exit(1);
});
const stop = () => {
  buffer.server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
