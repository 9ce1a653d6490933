/**
 * The browser side of a VNC session over a `ws` WebSocket: send, close, bufferedAmount, pause and
 * resume reading, and a heartbeat. A driver whose network vanished leaves a socket that looks open
 * for minutes; the ping ends it within two intervals, so its one VNC session (one per holder) frees
 * up and held keys are released.
 */
import type { WebSocket } from 'ws';
import type { BrowserSide } from './session.js';

export const PING_INTERVAL_MS = 15_000;

export function wsBrowserSide(ws: WebSocket, onDead: () => void, pingMs = PING_INTERVAL_MS): BrowserSide & { stop(): void } {
  let alive = true;
  ws.on('pong', () => (alive = true));
  const timer = setInterval(() => {
    if (!alive) {
      clearInterval(timer);
      onDead();
      ws.terminate();
      return;
    }
    alive = false;
    try {
      ws.ping();
    } catch {
      // closing already
    }
  }, pingMs);
  timer.unref();
  return {
    send: (data) => ws.send(data),
    close: (code, reason) => {
      clearInterval(timer);
      ws.close(code, reason);
    },
    bufferedAmount: () => ws.bufferedAmount,
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    stop: () => clearInterval(timer),
  };
}
