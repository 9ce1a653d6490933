/**
 * One encoder track's way into the admin service: a chunked POST to the admin's ingest listener
 * (server/media/ingestServer.ts) that is made again whenever it breaks. Each new POST starts with
 * the replay (replay.ts), then carries the live tags; while there is none, tags are only
 * remembered. The encoder never sees any of this: its own connection (to the buffer) stays up.
 *
 * The admin's answers: 400 (not the room's key, not FLV), 404 (no such room) and 405 are final:
 * the encoder's connection is ended the way the admin would have ended it, so ffmpeg fails and
 * systemd restarts it as before. Anything else (refused, reset, 503) is the admin restarting:
 * try again soon.
 */
import { request, type ClientRequest } from 'node:http';
import type { Logger } from '../log.js';

/** Retry pace: quick first (a restart takes ~2-3 s), then at most twice a second. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 500;
/** Bytes the admin may leave unread before the link is dropped and started again from the replay. */
export const UPSTREAM_MAX_QUEUED = 4 * 1024 * 1024;
const FINAL_STATUSES = new Set([400, 404, 405]);

export interface UpstreamTarget {
  host: string;
  port: number;
  path: string;
}

export interface UpstreamEvents {
  /** What a new POST starts with. */
  replay(): Buffer[];
  /** The admin refused the stream for good. */
  refused(status: number, reason: string): void;
}

export class Upstream {
  private req: ClientRequest | null = null;
  private open = false;
  private ended = false;
  private retryMs = RETRY_FIRST_MS;
  private timer: NodeJS.Timeout | null = null;
  /** How many times a link was made (the first one included). */
  links = 0;

  constructor(
    private readonly target: UpstreamTarget,
    private readonly events: UpstreamEvents,
    private readonly log: Logger,
    private readonly what: Record<string, unknown>,
  ) {
    this.connect();
  }

  /** Sends a whole tag when linked; drops the link if the admin stopped reading. */
  write(raw: Buffer): void {
    if (!this.open || !this.req) return;
    this.req.write(raw);
    if (this.req.writableLength > UPSTREAM_MAX_QUEUED) {
      this.log.warn('ingest buffer: the admin service is not reading; linking again', this.what);
      this.drop();
    }
  }

  /** The encoder's stream ended: end the POST (the admin then forgets the track). */
  end(): void {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.req && this.open) this.req.end();
    else this.req?.destroy();
  }

  /** The encoder's connection broke: no more tries. */
  destroy(): void {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.req?.destroy();
  }

  get linked(): boolean {
    return this.open;
  }

  private connect(): void {
    this.timer = null;
    if (this.ended) return;
    const req = request({ host: this.target.host, port: this.target.port, path: this.target.path, method: 'POST', agent: false, headers: { 'content-type': 'video/x-flv', 'transfer-encoding': 'chunked' } });
    this.req = req;
    req.on('socket', (socket) => {
      socket.setNoDelay(true);
      socket.once('connect', () => {
        if (this.req !== req || this.ended) return;
        this.open = true;
        this.links++;
        this.retryMs = RETRY_FIRST_MS;
        if (this.links > 1) this.log.info('ingest buffer: linked to the admin service again', this.what);
        // The admin sees the POST at once, even before the encoder has sent its header.
        req.flushHeaders();
        for (const chunk of this.events.replay()) req.write(chunk);
      });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body += text.slice(0, 200)));
      res.on('end', () => {
        if (this.req !== req || this.ended) return;
        if (FINAL_STATUSES.has(res.statusCode ?? 0)) {
          this.ended = true;
          this.open = false;
          this.events.refused(res.statusCode ?? 0, body.trim());
        } else this.retry(`answered ${res.statusCode}`);
      });
    });
    // A link that was replaced already says nothing about the current one.
    req.on('error', (err) => this.req === req && this.retry(err.message));
    req.on('close', () => this.req === req && this.retry('closed'));
  }

  private drop(): void {
    const req = this.req;
    this.open = false;
    this.req = null;
    req?.destroy();
    this.retry('dropped');
  }

  private retry(why: string): void {
    if (this.ended || this.timer) return;
    if (this.open) this.log.warn('ingest buffer: lost the admin service', { ...this.what, why });
    this.open = false;
    this.req?.destroy();
    this.req = null;
    this.timer = setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
