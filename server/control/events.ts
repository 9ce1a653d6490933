/**
 * Control changes as events: the arbiter says when a room's holder changes, whoever caused it
 * (a request, a pass, a release, a leave, the admin taking over, the idle rule), and those who
 * must act on it subscribe: the VNC gateway (the old holder's session and tokens go) and the room
 * channel (everyone is told). Neither calls the other.
 *
 * Listeners run synchronously, after the arbiter's state is complete for the change, and must
 * not throw: they are part of the operation that moved control.
 */

export interface ControlChange {
  roomId: string;
  /** Who held control before (null: nobody). */
  from: string | null;
  /** Who holds it now (null: nobody). */
  to: string | null;
}

export type ControlListener = (change: ControlChange) => void;

/** What a subscriber sees of the arbiter. */
export interface ControlChanges {
  /** Calls `listener` on every change of holder; returns the unsubscribe function. */
  onControlChange(listener: ControlListener): () => void;
}

/** A small typed emitter, owned by whoever decides control (the arbiter). */
export class ControlEvents implements ControlChanges {
  private readonly listeners = new Set<ControlListener>();

  onControlChange(listener: ControlListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: ControlChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
