/**
 * Live room updates for the dashboard. Today: poll GET /api/rooms every 2 s while the page is
 * visible. This is the one place that knows how updates arrive; a push channel (SSE/WebSocket)
 * can replace the body of watchRooms() without touching the views.
 */
import { api, type ApiError } from '../shared/api.js';
import type { Room } from '../shared/types.js';

export const POLL_MS = 2000;

export interface RoomFeed {
  /** Fetch now (after an action), and resolve once the views have the result. */
  refresh(): Promise<void>;
  stop(): void;
}

export function watchRooms(onRooms: (rooms: Room[]) => void, onError: (err: ApiError) => void): RoomFeed {
  let timer: number | null = null;
  let stopped = false;
  let inflight: Promise<void> | null = null;

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
    if (stopped || document.visibilityState !== 'visible') return;
    timer = window.setTimeout(async () => {
      timer = null;
      await fetchOnce();
      schedule();
    }, POLL_MS);
  };

  const onVisibility = () => {
    if (document.visibilityState === 'visible') void fetchOnce().then(schedule);
    else if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  void fetchOnce().then(schedule);

  return {
    async refresh() {
      if (inflight) await inflight; // it may have started before the change we want to see
      await fetchOnce();
      schedule();
    },
    stop() {
      stopped = true;
      if (timer !== null) window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
