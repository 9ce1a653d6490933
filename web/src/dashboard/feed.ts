/**
 * Live room updates for the dashboard: the one place that knows how updates arrive.
 *
 * Pushed: GET /api/dashboard/feed (server-sent events) sends the room list whenever it changes.
 * While the page is hidden the stream is closed, and opened again (with a fresh list) when it
 * shows. If the stream cannot be had (it closed for good, e.g. the session ended, or the browser
 * has no EventSource), the feed polls GET /api/rooms every 2 s instead, which also reports the
 * error (a 401 takes the page back to the login).
 */
import { api, type ApiError } from '../shared/api.js';
import type { Room } from '../shared/types.js';

export const POLL_MS = 2000;
const FEED_URL = '/api/dashboard/feed';

export interface RoomFeed {
  /** Fetch now (after an action), and resolve once the views have the result. */
  refresh(): Promise<void>;
  stop(): void;
}

export function watchRooms(onRooms: (rooms: Room[]) => void, onError: (err: ApiError) => void): RoomFeed {
  let timer: number | null = null;
  let stopped = false;
  let inflight: Promise<void> | null = null;
  let source: EventSource | null = null;
  /** Set once the stream failed for good: from then on, poll. */
  let polling = typeof EventSource === 'undefined';

  const fetchOnce = (): Promise<void> => {
    inflight ??= api<{ rooms: Room[] }>('GET', '/api/rooms')
      .then((body) => {
        if (!stopped) onRooms(body.rooms);
      })
      .catch((err: ApiError) => {
        if (!stopped) onError(err);
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  };

  const schedule = () => {
    if (timer !== null) window.clearTimeout(timer);
    timer = null;
    if (stopped || !polling || document.visibilityState !== 'visible') return;
    timer = window.setTimeout(async () => {
      timer = null;
      await fetchOnce();
      schedule();
    }, POLL_MS);
  };

  const openStream = () => {
    if (stopped || polling || source) return;
    source = new EventSource(FEED_URL);
    source.addEventListener('rooms', (ev) => {
      if (!stopped) onRooms((JSON.parse((ev as MessageEvent<string>).data) as { rooms: Room[] }).rooms);
    });
    // EventSource reconnects by itself after a dropped connection; CLOSED means it gave up
    // (an HTTP error such as 401): fall back to polling, which says what the error was.
    source.addEventListener('error', () => {
      if (source?.readyState !== EventSource.CLOSED) return;
      closeStream();
      polling = true;
      void fetchOnce().then(schedule);
    });
  };

  const closeStream = () => {
    source?.close();
    source = null;
  };

  const onVisibility = () => {
    if (document.visibilityState === 'visible') {
      if (polling) void fetchOnce().then(schedule);
      else openStream();
    } else {
      closeStream();
      if (timer !== null) window.clearTimeout(timer);
      timer = null;
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  if (polling) void fetchOnce().then(schedule);
  else openStream();

  return {
    async refresh() {
      if (inflight) await inflight; // it may have started before the change we want to see
      await fetchOnce();
      schedule();
    },
    stop() {
      stopped = true;
      closeStream();
      if (timer !== null) window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
