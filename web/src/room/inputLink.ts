/**
 * The input link's effects (reduce.ts decides when): ask the room service for a single-use VNC
 * token, connect noVNC with it, disconnect, and the retry timer; each outcome goes back to the
 * store as an event. noVNC itself is remoteInput.ts.
 */
import { api, ApiError } from '../shared/api.js';
import type { Me } from './channel.js';
import { RemoteInput } from './remoteInput.js';
import type { RoomEvent } from './state.js';

export class InputLink {
  readonly input: RemoteInput;
  private retry: number | null = null;

  constructor(
    target: HTMLElement,
    private readonly roomId: string,
    private readonly dispatch: (event: RoomEvent) => void,
  ) {
    this.input = new RemoteInput(target, {
      onState: (state) => dispatch({ type: 'input-state', state }),
      onLost: () => dispatch({ type: 'input-lost' }),
    });
  }

  async fetchToken(me: Me): Promise<void> {
    try {
      const { token, vncUrl } = await api<{ token: string; vncUrl: string }>('POST', `/api/rooms/${this.roomId}/vnc-token`, { participantId: me.id, participantKey: me.key });
      this.dispatch({ type: 'token-ok', for: me, url: `${vncUrl}?token=${encodeURIComponent(token)}` });
    } catch (err) {
      const e = err as ApiError;
      this.dispatch(e.retryAfter ? { type: 'token-failed', status: e.status, retryAfterS: e.retryAfter } : { type: 'token-failed', status: e.status ?? 0 });
    }
  }

  scheduleRetry(ms: number): void {
    this.cancelRetry();
    this.retry = window.setTimeout(() => {
      this.retry = null;
      this.dispatch({ type: 'input-retry-due' });
    }, ms);
  }

  cancelRetry(): void {
    if (this.retry !== null) window.clearTimeout(this.retry);
    this.retry = null;
  }
}
