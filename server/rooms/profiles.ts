/**
 * Keep logins (issue 14, part 3): a room created with keepLogins keeps its browser's profile
 * (cookies, local storage, logins) across restarts of the room and of the appliance; the runtime
 * keeps it (systemd: browser@ID.service's StateDirectory=) and removes it on delete. "Reset
 * browser" empties it: the room is stopped, the profile removed, and the room started again if it
 * was running. This module holds the rules of a reset (who may, one at a time, what is said); the
 * order of the steps against the runtime is RoomsService's (rooms/service.ts).
 */
import { AppError, conflict } from '../errors.js';
import { RuntimeJobError } from '../runtime/types.js';
import type { RoomConfig, RoomRecord } from './types.js';

export function keepsLogins(config: Pick<RoomConfig, 'keepLogins'>): boolean {
  return config.keepLogins === true;
}

/** The rooms whose browser is being reset now (the dashboard shows it). */
export class BrowserResets {
  private readonly under = new Set<string>();

  isResetting(roomId: string): boolean {
    return this.under.has(roomId);
  }

  /**
   * Runs `steps` as the reset of `room`, refusing what must not be reset (409) and a second
   * reset of the same room while one runs. `changed` is told when the reset begins and ends.
   */
  async run<T>(room: RoomRecord, changed: (roomId: string) => void, steps: () => Promise<T>): Promise<T> {
    if (room.desiredState === 'deleting') throw conflict(`room ${room.id} is being deleted`);
    if (!keepsLogins(room.config)) {
      throw conflict(`room ${room.id} does not keep logins: its browser already starts with a fresh profile at every start`);
    }
    if (this.under.has(room.id)) throw conflict(`the browser of room ${room.id} is already being reset`);
    this.under.add(room.id);
    changed(room.id);
    try {
      return await steps();
    } catch (err) {
      if (err instanceof RuntimeJobError) {
        throw new AppError(502, 'reset_failed', `the browser's profile of room ${room.id} could not be removed (${err.message}); the room was put back as it was, profile included`);
      }
      throw err;
    } finally {
      this.under.delete(room.id);
      changed(room.id);
    }
  }
}
