/**
 * Tells a room's participants when the room changes (its state word, why it stopped, or that it
 * was deleted, then closes their channels with 4004). systemd sends a burst of PropertiesChanged
 * while a room starts or stops: the news goes out once the burst settles (200 ms), rather than
 * the room's status being asked for at every signal.
 */
import type { RoomsService } from '../rooms/service.js';
import type { ServerMessage } from '../../protocol/roomChannel.js';

const SETTLE_MS = 200;

export interface RoomNewsDeps {
  rooms: RoomsService;
  /** Rooms someone is in now. */
  occupied(): string[];
  broadcast(roomId: string, msg: ServerMessage): void;
  /** Closes every channel of a deleted room. */
  closeRoom(roomId: string): void;
}

export class RoomNews {
  private readonly pending = new Map<string | null, NodeJS.Timeout>();

  constructor(private readonly deps: RoomNewsDeps) {}

  /** Something about the room (null: any room) may have changed. */
  soon(roomId: string | null): void {
    if (this.pending.has(roomId)) return;
    const timer = setTimeout(() => {
      this.pending.delete(roomId);
      void this.tell(roomId);
    }, SETTLE_MS);
    timer.unref();
    this.pending.set(roomId, timer);
  }

  stop(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
  }

  private async tell(roomId: string | null): Promise<void> {
    const occupied = new Set(this.deps.occupied());
    for (const id of roomId ? [roomId] : [...occupied]) {
      if (!occupied.has(id)) continue;
      let state: string;
      let stopReason: string | null = null;
      try {
        ({ state, stopReason } = await this.deps.rooms.status(this.deps.rooms.get(id)));
      } catch {
        state = 'deleted';
      }
      this.deps.broadcast(id, { type: 'room', state, stopReason });
      if (state === 'deleted') this.deps.closeRoom(id);
    }
  }
}
