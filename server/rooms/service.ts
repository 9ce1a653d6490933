/**
 * A room's life, in one place: the order of steps when a room is born, stopped or deleted, and
 * how the service puts things right after a crash (reconcile).
 *
 * Birth:    row (desired running) -> runtime.start (writes the env file, starts room@ID.target)
 *           -> a failed start is recorded on the row, the room stays visible with its failure.
 * Deletion: desired 'deleting' -> runtime.stop -> runtime.remove (env file) -> row deleted.
 *           Each step is idempotent, and a row left in 'deleting' is finished by reconcile.
 * Admission: a create or start that would take the running rooms past the host's budget
 *           (capacity.ts) is refused with 409 capacity_exceeded before anything is made. The
 *           check and the row change run in one synchronous step, so two requests at once
 *           cannot both take the last place.
 */
import { KeyedLock } from '../keyedLock.js';
import { CoalescedRun } from '../coalescedRun.js';
import { RuntimeJobError, RuntimeUnavailableError, type RoomRuntime, type RoomSpec } from '../runtime/types.js';
import type { RoomStore } from '../store/roomStore.js';
import type { Logger } from '../log.js';
import { AppError, capacityExceeded, conflict, notFound, unavailable } from '../errors.js';
import { hashSecret, verifySecret } from '../auth/secrets.js';
import { newRoomId, newSecret } from './ids.js';
import { roomStatus, withStopReason } from './status.js';
import { admit, type Admission, type CapacitySettings } from './capacity.js';
import { StatusCache } from './statusCache.js';
import { BrowserResets } from './profiles.js';
import { failureOf, specOf } from './runtimeSpec.js';
import type { RoomConfig, RoomRecord, RoomStatus, StopReason } from './types.js';

export interface CreateRoomInput {
  name: string;
  config: RoomConfig;
  password: string | null;
}

export interface RoomsServiceDeps {
  store: RoomStore;
  runtime: RoomRuntime;
  clock: () => Date;
  log: Logger;
  /** Where a room's encoder pushes its fast-path stream (the media relay's ingest URL). */
  relayUrl: (roomId: string) => string;
  /** The encoder's secrets as files (publish and ingest keys; see media/hub.ts encoderFiles). */
  encoderFiles?: (roomId: string) => RoomSpec['encoderFiles'];
  /** The host's budget for rooms; absent: every room is admitted. */
  capacity?: CapacitySettings;
  /** Told of every refusal for capacity (metrics). */
  onAdmissionRefused?: () => void;
}

export type RoomChangeListener = (roomId: string | null) => void;

export class RoomsService {
  /** One operation at a time per room, so a delete never races a start of the same room. */
  private readonly locks = new KeyedLock();
  private readonly listeners = new Set<RoomChangeListener>();
  /** What else goes with a deleted room (its recordings), after its units stop, before its row. */
  private readonly deleteHooks: Array<(roomId: string) => Promise<void>> = [];
  private unwatch: (() => void) | null = null;
  private readonly reconciles: CoalescedRun;
  /** Room status from the runtime, read again only after the watch reports a change. */
  private readonly statuses: StatusCache;
  private readonly resets = new BrowserResets();

  constructor(private readonly deps: RoomsServiceDeps) {
    this.statuses = new StatusCache((id) => deps.runtime.status(id));
    this.reconciles = new CoalescedRun(() => this.reconcile(), (err) => deps.log.warn('reconcile failed; retried when the runtime is back', { err: err.message }));
  }

  /** Follows the runtime's changes (for live status) and re-reconciles after the runtime comes back. */
  watchRuntime(): void {
    this.unwatch ??= this.deps.runtime.watch((roomId) => {
      // Not awaited: requestReconcile never rejects (a failed reconcile is logged and retried).
      if (roomId === null) void this.requestReconcile();
      this.emit(roomId);
    });
    this.statuses.enable();
  }

  /** Runs on every delete (also one finished by reconcile); must be idempotent. */
  onDelete(hook: (roomId: string) => Promise<void>): void {
    this.deleteHooks.push(hook);
  }

  onChange(listener: RoomChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.unwatch?.();
    this.unwatch = null;
    this.statuses.disable();
    this.listeners.clear();
  }

  list(): RoomRecord[] {
    return this.deps.store.list();
  }

  exists(id: string): boolean {
    return this.deps.store.get(id) !== null;
  }

  get(id: string): RoomRecord {
    const room = this.deps.store.get(id);
    if (!room) throw notFound(`room ${id}`);
    return room;
  }

  async create(input: CreateRoomInput): Promise<RoomRecord> {
    const passwordHash = input.password ? await hashSecret(input.password) : null;
    // No await between the check and the insert: the row is the claim on the capacity.
    this.requireCapacity(input.config, null);
    const room = this.deps.store.insert({
      id: newRoomId(),
      name: input.name,
      config: input.config,
      passwordHash,
      vncPassword: newSecret(6), // x11vnc compares at most 8 characters of a VNC password
      now: this.now(),
    });
    this.deps.log.info('room created', { room: room.id, name: room.name });
    await this.exclusive(room.id, () => this.startRoom(room));
    this.emit(room.id);
    return this.get(room.id);
  }

  /** Wants the room running; one that was not begins a new session. `guard` may refuse by throwing, under the lock (a wake). */
  async start(id: string, guard?: (room: RoomRecord) => void): Promise<RoomRecord> {
    return this.exclusive(id, async () => {
      const room = this.get(id);
      if (room.desiredState === 'deleting') throw conflict(`room ${id} is being deleted`);
      guard?.(room);
      if (room.desiredState !== 'running') {
        this.requireCapacity(room.config, id);
        this.deps.store.setRunning(id, this.now());
      }
      await this.startRoom({ ...room, desiredState: 'running' });
      this.emit(id);
      return this.get(id);
    });
  }

  /**
   * Stops the room and records why. The session rules' stops ('idle', 'time-limit') apply only to
   * a room that still runs: an admin's stop or a delete meanwhile wins.
   */
  async stop(id: string, reason: StopReason = 'admin'): Promise<RoomRecord> {
    return this.exclusive(id, async () => {
      const room = this.get(id);
      if (room.desiredState === 'deleting') throw conflict(`room ${id} is being deleted`);
      if (reason !== 'admin' && room.desiredState !== 'running') return room;
      this.deps.store.setStopped(id, reason, this.now());
      this.deps.log.info('room stopped', { room: id, reason });
      await this.stopRoom(id);
      this.emit(id);
      return this.get(id);
    });
  }

  /** The admin gives a running room a new session: its time limit counts from now. */
  async extend(id: string): Promise<RoomRecord> {
    return this.exclusive(id, async () => {
      if (this.get(id).desiredState !== 'running') throw conflict(`room ${id} is not running`);
      this.deps.store.setStartedAt(id, this.now());
      this.emit(id);
      return this.get(id);
    });
  }

  async delete(id: string): Promise<void> {
    await this.exclusive(id, async () => {
      this.get(id); // 404 when it is already gone
      this.deps.store.setDesiredState(id, 'deleting', this.now());
      await this.finishDelete(id).catch((err: unknown) => {
        if (!(err instanceof RuntimeJobError)) throw err;
        throw new AppError(502, 'delete_incomplete', `${err.message}; the room stays 'deleting': delete it again to retry`);
      });
    });
    this.emit(id);
  }

  /** Reset browser (rules: rooms/profiles.ts): stopped, its kept profile removed, started again if it ran. */
  async resetBrowser(id: string): Promise<RoomRecord> {
    await this.resets.run(this.get(id), (roomId) => this.emit(roomId), () =>
      this.exclusive(id, async () => {
        const room = this.get(id);
        if (room.desiredState === 'deleting') throw conflict(`room ${id} is being deleted`);
        await this.stopRoom(id);
        try {
          await this.deps.runtime.cleanProfile(id);
        } finally {
          if (room.desiredState === 'running') await this.startRoom(room);
        }
      }),
    );
    return this.get(id);
  }

  resettingBrowser(id: string): boolean {
    return this.resets.isResetting(id);
  }

  async status(room: RoomRecord): Promise<RoomStatus> {
    try {
      return withStopReason(roomStatus(room.desiredState, await this.statuses.get(room.id), room.lastError), room);
    } catch (err) {
      return withStopReason(roomStatus(room.desiredState, null, room.lastError, (err as Error).message), room);
    }
  }

  /** Would a room of this shape fit beside the rooms that run (or are wanted running) now? */
  admission(shape: Pick<RoomRecord['config'], 'width' | 'height' | 'fps'>, exceptId: string | null = null): Admission {
    const running = this.deps.store.list().filter((r) => r.desiredState === 'running' && r.id !== exceptId).map((r) => r.config);
    return admit(running, shape, this.deps.capacity ?? { budgetCores: null, model: { baseCores: 0, coresPerMegapixelSecond: 0 } });
  }

  private requireCapacity(config: RoomRecord['config'], exceptId: string | null): void {
    const a = this.admission(config, exceptId);
    if (a.ok) return;
    this.deps.onAdmissionRefused?.();
    this.deps.log.warn('room refused: over capacity', { room: exceptId, used: a.usedCores, budget: a.budgetCores, wanted: a.candidateCores });
    throw capacityExceeded(a.message);
  }

  /** Does a participant's password open this room? Open rooms need none. */
  async checkPassword(room: RoomRecord, password: string | null): Promise<boolean> {
    if (!room.passwordHash) return true;
    return password !== null && verifySecret(password, room.passwordHash);
  }

  /** Sets, changes or (null) removes a room's password. Revoking its grants is the caller's part. */
  async setPassword(id: string, password: string | null): Promise<RoomRecord> {
    const hash = password ? await hashSecret(password) : null;
    return this.exclusive(id, async () => {
      this.get(id); // 404
      this.deps.store.setPasswordHash(id, hash, this.now());
      this.deps.log.info(hash ? 'room password set' : 'room password removed', { room: id });
      return this.get(id);
    });
  }

  /** Runs reconcile soon; requests that arrive while one runs coalesce into one more run (coalescedRun.ts). */
  requestReconcile(): Promise<void> {
    return this.reconciles.request();
  }

  /**
   * Brings the runtime in line with the store: rooms that should run but do not are started, rooms
   * that should not run are stopped, half-finished deletes are finished, and room units that run
   * for rooms the store does not know are stopped.
   */
  async reconcile(): Promise<void> {
    const running = new Set(await this.deps.runtime.listRunning());
    for (const room of this.deps.store.list()) {
      await this.exclusive(room.id, async () => {
        const current = this.deps.store.get(room.id);
        if (!current) return;
        if (current.desiredState === 'deleting') await this.finishDelete(current.id);
        else if (current.desiredState === 'running' && !running.has(current.id)) await this.startRoom(current);
        else if (current.desiredState === 'stopped' && running.has(current.id)) await this.stopRoom(current.id);
      }).catch((err) => this.deps.log.warn('reconcile: room not settled', { room: room.id, err: (err as Error).message }));
      running.delete(room.id);
    }
    for (const orphan of running) {
      this.deps.log.warn('reconcile: stopping units of a room that does not exist', { room: orphan });
      await this.exclusive(orphan, async () => {
        await this.deps.runtime.stop(orphan);
        await this.deps.runtime.remove(orphan);
      }).catch((err) => this.deps.log.warn('reconcile: orphan not stopped', { room: orphan, err: (err as Error).message }));
    }
  }

  private async startRoom(room: RoomRecord): Promise<void> {
    try {
      await this.deps.runtime.start({ ...specOf(room, this.deps.relayUrl(room.id)), encoderFiles: this.deps.encoderFiles?.(room.id) });
      this.deps.store.setLastError(room.id, null, this.now());
    } catch (err) {
      const failure = failureOf(err, this.now());
      this.deps.store.setLastError(room.id, failure, this.now());
      this.deps.log.warn('room did not start', { room: room.id, unit: failure.unit, reason: failure.reason });
    }
  }

  private async stopRoom(id: string): Promise<void> {
    try {
      await this.deps.runtime.stop(id);
    } catch (err) {
      if (err instanceof RuntimeUnavailableError) throw unavailable(err.message);
      throw err;
    }
  }

  private async finishDelete(id: string): Promise<void> {
    await this.stopRoom(id);
    await this.deps.runtime.remove(id);
    for (const hook of this.deleteHooks) await hook(id);
    this.deps.store.delete(id);
    this.deps.log.info('room deleted', { room: id });
  }

  private exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }

  private emit(roomId: string | null): void {
    this.statuses.invalidate(roomId);
    for (const listener of this.listeners) listener(roomId);
  }

  private now(): string {
    return this.deps.clock().toISOString();
  }
}
