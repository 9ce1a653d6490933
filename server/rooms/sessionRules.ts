/**
 * Idle stop and session caps, the rules (pure: an injected clock, no timers of its own).
 *
 * A running room with nobody in it (no room channel connection) for its idle time is stopped
 * with reason 'idle'; a room running longer than its maximum duration is stopped with reason
 * 'time-limit', and everyone in it is warned `warnMs` before (at half-time when the limit is
 * shorter than twice that). sessionLimits.ts feeds these rules the running rooms and the channel
 * counts and carries out what `tick` returns.
 *
 * Settings are minutes: appliance-wide defaults (STREAMBOX_IDLE_STOP_MINUTES, default 30;
 * STREAMBOX_MAX_DURATION_MINUTES, default 0; STREAMBOX_SESSION_WARN_MINUTES, default 5), a room's
 * own value overriding them (null: the default; 0: never). Fractions are allowed (down to
 * MIN_SESSION_MINUTES) so that tests and demos can use seconds.
 */
import type { RoomConfig } from './types.js';

/** Shortest idle time or duration a room may have (15 s), besides 0 (never). */
export const MIN_SESSION_MINUTES = 0.25;
/** Longest: a week. */
export const MAX_SESSION_MINUTES = 10_080;

export interface SessionDefaults {
  /** Minutes with nobody in a room before it stops; 0: never. */
  idleStopMinutes: number;
  /** Minutes a room may run; 0: no limit. */
  maxDurationMinutes: number;
  /** Minutes before the time limit that everyone in the room is warned. */
  warnMinutes: number;
}

export const DEFAULT_SESSION: SessionDefaults = { idleStopMinutes: 30, maxDurationMinutes: 0, warnMinutes: 5 };

/** A room's rules in milliseconds (0: off). */
export interface SessionSettings {
  idleStopMs: number;
  maxDurationMs: number;
  warnMs: number;
}

const MINUTE = 60_000;

/** The room's own values where set (null or absent: the appliance's defaults). */
export function sessionSettings(config: Pick<RoomConfig, 'idleStopMinutes' | 'maxDurationMinutes'>, defaults: SessionDefaults): SessionSettings {
  const idle = config.idleStopMinutes ?? defaults.idleStopMinutes;
  const max = config.maxDurationMinutes ?? defaults.maxDurationMinutes;
  const maxDurationMs = max * MINUTE;
  return { idleStopMs: idle * MINUTE, maxDurationMs, warnMs: Math.min(defaults.warnMinutes * MINUTE, maxDurationMs / 2) };
}

function minutes(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || (n !== 0 && (n < MIN_SESSION_MINUTES || n > MAX_SESSION_MINUTES))) {
    throw new Error(`${name} must be 0 or a number of minutes from ${MIN_SESSION_MINUTES} to ${MAX_SESSION_MINUTES}, got '${text}'`);
  }
  return n;
}

export function loadSessionDefaults(env: NodeJS.ProcessEnv): SessionDefaults {
  return {
    idleStopMinutes: minutes(env, 'STREAMBOX_IDLE_STOP_MINUTES', DEFAULT_SESSION.idleStopMinutes),
    maxDurationMinutes: minutes(env, 'STREAMBOX_MAX_DURATION_MINUTES', DEFAULT_SESSION.maxDurationMinutes),
    warnMinutes: minutes(env, 'STREAMBOX_SESSION_WARN_MINUTES', DEFAULT_SESSION.warnMinutes),
  };
}

/** A running room as the rules need it. */
export interface RunningRoom {
  id: string;
  /** When its session began (ms): its start, wake or the admin's extension. */
  startedAt: number;
  settings: SessionSettings;
}

export type SessionAction =
  | { kind: 'stop'; roomId: string; reason: 'idle' | 'time-limit' }
  | { kind: 'warn'; roomId: string; endsAt: number; msLeft: number }
  /** A warned room got a new session (the admin extended it): the warning no longer holds. */
  | { kind: 'unwarn'; roomId: string };

interface Tracked extends RunningRoom {
  /** Since when nobody is in it (ms), or null while someone is. */
  emptySince: number | null;
  warned: boolean;
  stopping: boolean;
}

export class SessionTimers {
  private readonly rooms = new Map<string, Tracked>();
  /** Room channel connections per room, running or not (someone may be in a stopped room). */
  private readonly occupants = new Map<string, number>();

  /** Warned rooms whose session changed since, to be told by the next tick. */
  private readonly unwarned = new Set<string>();

  constructor(private readonly now: () => number) {}

  /**
   * The rooms that run now. A room seen for the first time starts its idle clock now (also after
   * the admin service restarted: nobody could be in it meanwhile); rooms no longer listed are
   * forgotten; a new startedAt (an extension, a restart) allows a new warning.
   */
  sync(running: RunningRoom[]): void {
    const seen = new Set<string>();
    for (const r of running) {
      seen.add(r.id);
      const t = this.rooms.get(r.id);
      if (!t) {
        this.rooms.set(r.id, { ...r, emptySince: this.count(r.id) > 0 ? null : this.now(), warned: false, stopping: false });
        continue;
      }
      // A new session (a wake, a restart, an extension): a new warning, and the idle clock afresh.
      if (t.startedAt !== r.startedAt) {
        if (t.warned) this.unwarned.add(r.id);
        Object.assign(t, { warned: false, stopping: false, emptySince: this.count(r.id) > 0 ? null : this.now() });
      }
      Object.assign(t, { startedAt: r.startedAt, settings: r.settings });
    }
    for (const id of this.rooms.keys()) if (!seen.has(id)) this.rooms.delete(id);
  }

  /** How many are on the room's channel now. */
  occupancy(roomId: string, count: number): void {
    if (count > 0) this.occupants.set(roomId, count);
    else this.occupants.delete(roomId);
    const t = this.rooms.get(roomId);
    if (!t) return;
    if (count > 0) t.emptySince = null;
    else t.emptySince ??= this.now();
  }

  count(roomId: string): number {
    return this.occupants.get(roomId) ?? 0;
  }

  /** When the room's time is up (ms), or null without a limit or when it does not run. */
  endsAt(roomId: string): number | null {
    const t = this.rooms.get(roomId);
    return t && t.settings.maxDurationMs > 0 ? t.startedAt + t.settings.maxDurationMs : null;
  }

  /** Has everyone in the room been warned that its time runs out? */
  warned(roomId: string): boolean {
    return this.rooms.get(roomId)?.warned ?? false;
  }

  /** What is due now; each stop and each warning is returned once. */
  tick(): SessionAction[] {
    const now = this.now();
    const out: SessionAction[] = [...this.unwarned].map((roomId) => ({ kind: 'unwarn' as const, roomId }));
    this.unwarned.clear();
    for (const t of this.rooms.values()) {
      if (t.stopping) continue;
      const endsAt = this.endsAt(t.id);
      if (endsAt !== null && now >= endsAt) {
        t.stopping = true;
        out.push({ kind: 'stop', roomId: t.id, reason: 'time-limit' });
        continue;
      }
      if (t.settings.idleStopMs > 0 && t.emptySince !== null && now - t.emptySince >= t.settings.idleStopMs) {
        t.stopping = true;
        out.push({ kind: 'stop', roomId: t.id, reason: 'idle' });
        continue;
      }
      if (endsAt !== null && !t.warned && now >= endsAt - t.settings.warnMs) {
        t.warned = true;
        out.push({ kind: 'warn', roomId: t.id, endsAt, msLeft: endsAt - now });
      }
    }
    return out;
  }

  /** A stop that did not happen (the runtime was away): try again on a later tick. */
  stopFailed(roomId: string): void {
    const t = this.rooms.get(roomId);
    if (t) t.stopping = false;
  }
}
