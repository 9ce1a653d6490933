/**
 * A tiny store around reduce.ts: `dispatch(event)` reduces, runs the effects the reducer asked
 * for, then tells subscribers once. Events dispatched while that runs (an effect whose callee
 * answers synchronously, such as noVNC reporting 'connecting') wait in a queue, so every event
 * meets the state left by the one before it.
 */
import { reduce } from './reduce.js';
import type { Effect, RoomEvent, RoomState } from './state.js';

export type Listener = (state: RoomState, before: RoomState) => void;

export interface Store {
  readonly state: RoomState;
  dispatch(event: RoomEvent): void;
  /** Called after every change, with the state before the batch; returns an unsubscribe. */
  subscribe(listener: Listener): () => void;
}

export function createStore(initial: RoomState, runEffect: (effect: Effect) => void): Store {
  let state = initial;
  const listeners = new Set<Listener>();
  const queue: RoomEvent[] = [];
  let busy = false;
  return {
    get state() {
      return state;
    },
    dispatch(event) {
      queue.push(event);
      if (busy) return;
      busy = true;
      const before = state;
      try {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const out = reduce(state, next);
          state = out.state;
          for (const effect of out.effects) runEffect(effect);
        }
      } finally {
        busy = false;
      }
      if (state !== before) for (const l of listeners) l(state, before);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
