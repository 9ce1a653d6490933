/**
 * One SourceBuffer with the queue MSE needs in front of it: a SourceBuffer takes one operation at
 * a time (appendBuffer or remove, then 'updateend'), while fragments arrive 30-80 times a second.
 * Fragments that queue up while it is busy are appended together, in one call.
 *
 * A full buffer (QuotaExceededError) is made room for and the same bytes appended again; if that
 * fails too, the owner hears about it (onError) rather than a silent loop.
 */
import { concat } from './fmp4.js';

export interface BufferedTrack {
  /** Queues bytes (init segment or fragments) for appending, in order. */
  append(bytes: Uint8Array): void;
  /** Queues the removal of [start, end) (seconds), done before the next append. */
  remove(start: number, end: number): void;
  /** The start of the first buffered range, or null. */
  bufferedStart(): number | null;
  /** Bytes waiting to be appended. */
  readonly queuedBytes: number;
}

export interface TrackEvents {
  /** The buffer is full (QuotaExceededError): queue a removal (remove()); the append is retried after it. */
  onQuota(): void;
  onError(message: string): void;
  /** An append finished (new data is buffered). */
  onAppended(): void;
}

/** After a QuotaExceededError, this many retries (each after a trim) before giving up. */
const QUOTA_RETRIES = 2;

export function bufferedTrack(sb: SourceBuffer, events: TrackEvents): BufferedTrack & { dispose(): void } {
  let queue: Uint8Array[] = [];
  let queuedBytes = 0;
  const removals: [number, number][] = [];
  let quotaFailures = 0;
  let lastWasAppend = false;
  let disposed = false;

  const pump = () => {
    if (disposed || sb.updating) return;
    const removal = removals.shift();
    if (removal) {
      lastWasAppend = false;
      try {
        if (removal[1] > removal[0]) return sb.remove(removal[0], removal[1]);
      } catch {
        // the source closed, or nothing to remove: go on with the appends
      }
      return pump();
    }
    if (queue.length === 0) return;
    const bytes = queue.length === 1 ? queue[0]! : concat(queue);
    try {
      sb.appendBuffer(bytes as Uint8Array<ArrayBuffer>);
      queue = [];
      queuedBytes = 0;
      lastWasAppend = true;
    } catch (err) {
      if ((err as DOMException)?.name !== 'QuotaExceededError') return events.onError(`append: ${(err as Error).message}`);
      queue = [bytes]; // kept, appended again after the trim
      if (++quotaFailures > QUOTA_RETRIES) return events.onError('the buffer stays full after trimming');
      events.onQuota();
      if (removals.length === 0) return events.onError('the buffer is full and nothing can be trimmed');
      pump();
    }
  };
  const onUpdateEnd = () => {
    if (lastWasAppend) {
      quotaFailures = 0;
      events.onAppended();
    }
    pump();
  };
  const onError = () => events.onError('the SourceBuffer reported an error');
  sb.addEventListener('updateend', onUpdateEnd);
  sb.addEventListener('error', onError);

  return {
    get queuedBytes() {
      return queuedBytes;
    },
    append(bytes) {
      queue.push(bytes);
      queuedBytes += bytes.length;
      pump();
    },
    remove(start, end) {
      removals.push([start, end]);
      pump();
    },
    bufferedStart() {
      try {
        return sb.buffered.length ? sb.buffered.start(0) : null;
      } catch {
        return null; // removed from its MediaSource
      }
    },
    dispose() {
      disposed = true;
      sb.removeEventListener('updateend', onUpdateEnd);
      sb.removeEventListener('error', onError);
    },
  };
}
