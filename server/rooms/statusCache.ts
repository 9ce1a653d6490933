/**
 * The runtime's room status, kept in memory and dropped when the runtime's watch says a room
 * changed. Reading a room's status from systemd costs a dozen D-Bus calls; the dashboard, every
 * GetConfiguration and every room list used to pay them on each request. With the watch on, a
 * status is read once after each change (and at most every MAX_AGE_MS, in case a signal was
 * missed), so steady-state requests cost systemd nothing.
 *
 * Entries are the promises of reads started, stored when the read starts: a change that arrives
 * while a read is in flight drops it, so a read that may predate the change is never served later.
 * Failed reads are not kept.
 */
import type { RoomRuntimeStatus } from '../runtime/types.js';

const MAX_AGE_MS = 30_000;

export class StatusCache {
  private readonly entries = new Map<string, { read: Promise<RoomRuntimeStatus>; at: number }>();
  /** Off until the watch runs: without it nothing would tell us a status went stale. */
  private enabled = false;

  constructor(
    private readonly readStatus: (roomId: string) => Promise<RoomRuntimeStatus>,
    private readonly now: () => number = Date.now,
  ) {}

  enable(): void {
    this.enabled = true;
  }

  disable(): void {
    this.enabled = false;
    this.entries.clear();
  }

  get(roomId: string): Promise<RoomRuntimeStatus> {
    const hit = this.entries.get(roomId);
    if (this.enabled && hit && this.now() - hit.at < MAX_AGE_MS) return hit.read;
    const read = this.readStatus(roomId);
    if (this.enabled) {
      const entry = { read, at: this.now() };
      this.entries.set(roomId, entry);
      read.catch(() => {
        if (this.entries.get(roomId) === entry) this.entries.delete(roomId);
      });
    }
    return read;
  }

  /** Something about this room (or, with null, about any room) may have changed. */
  invalidate(roomId: string | null): void {
    if (roomId === null) this.entries.clear();
    else this.entries.delete(roomId);
  }
}
