/**
 * Waits that end early when the watch says a room changed: start() and stop() read the Pod, and
 * sleep until the next read, or until an event about the room comes (whichever is first), so a
 * change is seen within milliseconds without reading the Pod every few milliseconds.
 */
export class Wakers {
  private readonly byRoom = new Map<string, Set<() => void>>();

  /** Resolves after `ms`, or sooner when wake(roomId) or wake(null) is called. */
  sleep(roomId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.byRoom.get(roomId) ?? new Set();
      this.byRoom.set(roomId, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) this.byRoom.delete(roomId);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  /** Ends the sleeps of this room (null: of every room). */
  wake(roomId: string | null): void {
    const sets = roomId === null ? [...this.byRoom.values()] : [this.byRoom.get(roomId) ?? new Set<() => void>()];
    for (const set of sets) for (const wake of [...set]) wake();
  }
}
