/** Between a room's row and the runtime: the spec a start is given, and a failed start as the row keeps it. */
import { RuntimeJobError, type RoomSpec } from '../runtime/types.js';
import type { RoomFailure, RoomRecord } from './types.js';

export function specOf(room: RoomRecord, relayUrl: string): RoomSpec {
  return { id: room.id, display: room.display, vncPassword: room.vncPassword, relayUrl, ...room.config };
}

/** Which member failed and why (a RuntimeJobError names the unit), at `at` (ISO time). */
export function failureOf(err: unknown, at: string): RoomFailure {
  if (err instanceof RuntimeJobError) return { role: err.role, unit: err.unit, reason: err.message, at };
  return { role: null, unit: '', reason: (err as Error).message, at };
}
