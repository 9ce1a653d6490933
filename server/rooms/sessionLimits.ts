/**
 * Idle stop and session caps, carried out: once a second it hands the rules (sessionRules.ts) the
 * rooms wanted running, stops the ones that are due through the rooms service (recorded with the
 * reason: 'idle', 'time-limit'), and passes time-limit warnings on. It hears how many are in each
 * room from the room channel (`occupancy`, wired in context.ts), and never calls the channel:
 * warnings leave through `onWarning`.
 *
 * Who is "in the room": connections on the room channel (the room page; an admin who opened the
 * room page counts). The dashboard's preview does not, and neither do HLS or RTMP viewers: they
 * have no channel, so a room watched only that way is stopped when idle.
 *
 * The wake: a visitor who may enter a room that was stopped for being idle starts it again
 * (`wake`), at most WAKES_PER_WINDOW times per room per WAKE_WINDOW_MS; rooms stopped by the admin
 * or by their time limit stay stopped.
 */
import type { Logger } from '../log.js';
import { AppError } from '../errors.js';
import type { RoomsService } from './service.js';
import type { RoomRecord } from './types.js';
import { SessionTimers, sessionSettings, type SessionDefaults, type SessionSettings } from './sessionRules.js';

export const WAKE_WINDOW_MS = 60_000;
export const WAKES_PER_WINDOW = 5;

/** When the room stops (ms since the epoch) and how long that is from now; null: no longer near (extended). */
export type SessionWarning = { endsAt: number; msLeft: number } | { endsAt: null; msLeft: null };

export interface SessionLimitsDeps {
  rooms: RoomsService;
  defaults: SessionDefaults;
  now: () => number;
  log: Logger;
  /** Everyone in the room is to be told its time runs out. */
  onWarning: (roomId: string, warning: SessionWarning) => void;
}

/** What the API says of a room's session. */
export interface SessionView {
  /** The rules in force (the room's own or the appliance's defaults), in minutes; 0: never. */
  idleStopMinutes: number;
  maxDurationMinutes: number;
  /** When the running room's session began and when its time limit stops it (ISO; null: none). */
  startedAt: string | null;
  endsAt: string | null;
}

export class SessionLimits {
  private readonly timers: SessionTimers;
  private readonly wakes = new Map<string, number[]>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(private readonly deps: SessionLimitsDeps) {
    this.timers = new SessionTimers(deps.now);
  }

  start(tickMs = 1000): void {
    this.timer ??= setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The room channel's count for a room changed. */
  occupancy(roomId: string, count: number): void {
    this.timers.occupancy(roomId, count);
  }

  settings(room: RoomRecord): SessionSettings {
    return sessionSettings(room.config, this.deps.defaults);
  }

  view(room: RoomRecord): SessionView {
    const s = this.settings(room);
    const started = room.desiredState === 'running' && room.startedAt ? room.startedAt : null;
    const endsAt = started && s.maxDurationMs > 0 ? new Date(Date.parse(started) + s.maxDurationMs).toISOString() : null;
    return { idleStopMinutes: s.idleStopMs / 60_000, maxDurationMinutes: s.maxDurationMs / 60_000, startedAt: started, endsAt };
  }

  /** The warning a joiner gets when the room's time runs out soon (already told to those in it). */
  pendingWarning(roomId: string): SessionWarning | null {
    const endsAt = this.timers.endsAt(roomId);
    if (endsAt === null || !this.timers.warned(roomId)) return null;
    return { endsAt, msLeft: Math.max(0, endsAt - this.deps.now()) };
  }

  /** Starts a room that was stopped for being idle; refuses others (409) and too many wakes (429). */
  async wake(roomId: string): Promise<RoomRecord> {
    const refuse = (room: RoomRecord) => {
      if (room.desiredState === 'running' || room.stopReason === 'idle') return;
      throw new AppError(409, 'room_stopped', room.stopReason === 'time-limit' ? 'this room reached its time limit; its admin can start it again' : 'this room was stopped by its admin');
    };
    const room = this.deps.rooms.get(roomId);
    if (room.desiredState === 'running') return room;
    refuse(room);
    this.takeWake(roomId);
    this.deps.log.info('room woken by a visitor', { room: roomId });
    return this.deps.rooms.start(roomId, refuse); // checked again under the room's lock
  }

  /** One pass of the rules; a pass still running (a slow stop) is not overlapped. */
  tick(): Promise<void> {
    this.ticking ??= this.pass().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async pass(): Promise<void> {
    const running = this.deps.rooms.list().filter((r) => r.desiredState === 'running');
    // A room without a recorded start (an older row) counts from now.
    this.timers.sync(running.map((r) => ({ id: r.id, startedAt: r.startedAt ? Date.parse(r.startedAt) : this.deps.now(), settings: this.settings(r) })));
    for (const action of this.timers.tick()) {
      if (action.kind === 'warn') this.deps.onWarning(action.roomId, { endsAt: action.endsAt, msLeft: action.msLeft });
      if (action.kind === 'unwarn') this.deps.onWarning(action.roomId, { endsAt: null, msLeft: null });
      if (action.kind !== 'stop') continue;
      try {
        await this.deps.rooms.stop(action.roomId, action.reason);
      } catch (err) {
        this.timers.stopFailed(action.roomId);
        this.deps.log.warn('session rule: room not stopped; tried again', { room: action.roomId, reason: action.reason, err: (err as Error).message });
      }
    }
  }

  private takeWake(roomId: string): void {
    const now = this.deps.now();
    const recent = (this.wakes.get(roomId) ?? []).filter((t) => now - t < WAKE_WINDOW_MS);
    if (recent.length >= WAKES_PER_WINDOW) {
      const retryAfterSeconds = Math.ceil((recent[0]! + WAKE_WINDOW_MS - now) / 1000);
      throw Object.assign(new AppError(429, 'too_many_wakes', `this room was started too often; try again in ${retryAfterSeconds} s`), { retryAfterSeconds });
    }
    recent.push(now);
    this.wakes.set(roomId, recent);
  }
}
