/**
 * Follows the rooms' Pods through the API's watch, as the Kubernetes API documents it
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
 *
 * 1. list the Pods, and keep the list's resourceVersion;
 * 2. watch from that resourceVersion: every change after it, in order, one JSON event a line
 *    (ADDED, MODIFIED, DELETED; BOOKMARK carries only a newer resourceVersion); keep the
 *    resourceVersion of the last event;
 * 3. when the stream ends (the server closes watches after a while), watch again from there:
 *    nothing is missed;
 * 4. when the server no longer has that resourceVersion it says 410 Gone, as an ERROR event whose
 *    object is a Status with code 410, or as the watch request's own HTTP status
 *    (https://kubernetes.io/docs/reference/using-api/api-concepts/#410-gone-responses): changes
 *    may have been missed, so list again (1) and tell the listeners to re-read everything;
 * 5. when the server cannot be reached, try again after 0.5 s, 1 s, 2 s ... up to 10 s; once it
 *    answers again, tell the listeners to re-read everything (the rooms service reconciles then,
 *    as it does after the systemd runtime's bus comes back).
 */
import type { Logger } from '../../log.js';
import { KubeApiError, type KubeApi } from './api.js';
import { roomOf } from './names.js';

export interface PodWatchOptions {
  api: KubeApi;
  labelSelector: string;
  log: Logger;
  /** A room's Pod changed. */
  onRoom: (roomId: string) => void;
  /** Anything may have changed (a fresh list, or the API back after an outage). */
  onResync: () => void;
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

interface WatchEvent {
  type: string;
  object?: { metadata?: { resourceVersion?: string; labels?: Record<string, string> }; code?: number; message?: string; kind?: string };
}

const isGone = (err: unknown) => (err as { statusCode?: number } | null)?.statusCode === 410 || (err instanceof KubeApiError && err.code === 410);

export class PodWatch {
  private resourceVersion: string | null = null;
  private stopStream: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delay: number;
  private running = false;
  /** Bumped at every (re)start of a stream: a late callback of an old one changes nothing. */
  private generation = 0;
  /** The API could not be reached since the last successful call: the next success resyncs. */
  private lost = false;
  /** Relists so far (for tests and logs). */
  relists = 0;

  constructor(private readonly opts: PodWatchOptions) {
    this.delay = opts.reconnectDelayMs ?? 500;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.relist();
  }

  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopStream?.();
    this.stopStream = null;
  }

  private async relist(): Promise<void> {
    const gen = ++this.generation;
    try {
      const { resourceVersion } = await this.opts.api.listPods(this.opts.labelSelector);
      if (gen !== this.generation) return;
      this.relists++;
      this.resourceVersion = resourceVersion;
      this.recovered();
      this.opts.onResync();
      await this.watchFrom(resourceVersion, gen);
    } catch (err) {
      if (gen === this.generation) this.retryLater('list', err, () => this.relist());
    }
  }

  private async watchFrom(resourceVersion: string, gen: number): Promise<void> {
    let ended = false;
    let gone = false;
    const onEvent = (type: string, obj: unknown) => {
      if (gen !== this.generation) return;
      const event: WatchEvent = { type, object: obj as WatchEvent['object'] };
      if (type === 'ERROR') {
        if (event.object?.code === 410) gone = true;
        else this.opts.log.warn('kubernetes watch error event', { code: event.object?.code, message: event.object?.message });
        return;
      }
      const rv = event.object?.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (type === 'BOOKMARK') return;
      const roomId = roomOf(event.object ?? {});
      if (roomId) this.opts.onRoom(roomId);
    };
    const onEnd = (err: unknown) => {
      if (ended || gen !== this.generation) return;
      ended = true;
      this.stopStream = null;
      if (gone || isGone(err)) {
        this.opts.log.info('kubernetes watch: resourceVersion too old (410 Gone), listing again', { resourceVersion: this.resourceVersion });
        void this.relist();
      } else if (err) {
        this.retryLater('watch', err, () => this.rewatch());
      } else {
        void this.rewatch(); // the server's timeout: carry on from the last event
      }
    };
    const stop = await this.opts.api.watchPods(this.opts.labelSelector, resourceVersion, onEvent, onEnd);
    if (gen !== this.generation || ended) {
      if (!ended) stop();
      return;
    }
    this.stopStream = stop;
    if (this.recovered()) this.opts.onResync();
  }

  private async rewatch(): Promise<void> {
    if (!this.running) return;
    if (this.resourceVersion === null) return this.relist();
    const gen = ++this.generation;
    try {
      await this.watchFrom(this.resourceVersion, gen);
    } catch (err) {
      if (gen === this.generation) this.retryLater('watch', err, () => this.rewatch());
    }
  }

  /** A call succeeded: the backoff starts again; true when that ends an outage. */
  private recovered(): boolean {
    this.delay = this.opts.reconnectDelayMs ?? 500;
    if (!this.lost) return false;
    this.lost = false;
    this.opts.log.info('kubernetes API reachable again');
    return true;
  }

  private retryLater(what: string, err: unknown, again: () => Promise<void>): void {
    if (!this.running) return;
    if (!this.lost) {
      this.opts.log.warn(`kubernetes ${what} failed; retrying`, { err: (err as Error)?.message ?? String(err) });
      // What listeners know may be stale: they re-read (and find the API down), once an outage.
      this.opts.onResync();
    }
    this.lost = true;
    const delay = this.delay;
    this.delay = Math.min(delay * 2, this.opts.maxReconnectDelayMs ?? 10_000);
    this.timer = setTimeout(() => {
      this.timer = null;
      void again();
    }, delay);
    this.timer.unref();
  }
}
