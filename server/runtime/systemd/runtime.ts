/**
 * RoomRuntime on systemd: a room is `room@ID.target` plus five template services (see units/).
 * The room's spec goes to /etc/streambox/rooms/ID.env (+ ID.vncpass) before the target starts.
 */
import { join } from 'node:path';
import { MEMBER_ROLES, RuntimeJobError, RuntimeUnavailableError, type InputEndpoint, type MemberRole, type RecordingSpec, type RoomRuntime, type RoomRuntimeStatus, type RoomSpec, type RuntimeListener, type UnitState } from '../types.js';
import { BusCallError, BusTimeoutError, I_MANAGER, I_PROPS, I_SERVICE, I_UNIT, MANAGER_PATH, SystemdBus } from './bus.js';
import { formatRecorderEnv, recorderEnvPath, removeRoomFiles, writeFileAtomic, writeRoomFiles } from './envFile.js';
import { CleanStateError, cleanUnitState } from './cleanState.js';
import { GROUP_TEMPLATE, groupUnit, memberUnit, recorderUnit, roleOfUnit, roomOfUnit, unitOfPath } from './units.js';
import { cgroup2Mount, unitCpuNs } from './cpuUsage.js';
import type { Logger } from '../../log.js';

export interface SystemdRuntimeOptions {
  /** D-Bus address of the system bus, e.g. unix:path=/run/dbus/system_bus_socket. */
  busAddress: string;
  /** Directory of the rooms' env files (the units' EnvironmentFile=). */
  envDir: string;
  /** ffmpeg publishes to `${rtmpUrlBase}/ID`. */
  rtmpUrlBase: string;
  /** Where x11vnc@ID listens: `${vncSocketDir}/ID/vnc.sock` (the unit's RuntimeDirectory=). */
  vncSocketDir: string;
  log: Logger;
  jobTimeoutMs?: number;
  callTimeoutMs?: number;
  /** First delay before reconnecting to a lost bus; doubles up to 10 s. */
  reconnectDelayMs?: number;
  /** Where the units' cgroups are (cpuUsage.ts); default: this machine's cgroup v2 mount. */
  cgroupRoot?: string | null;
}

const RUNNING_STATES = new Set(['active', 'activating', 'reloading']);

export class SystemdRuntime implements RoomRuntime {
  private conn: SystemdBus | null = null;
  private connecting: Promise<SystemdBus> | null = null;
  private readonly listeners = new Set<RuntimeListener>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelay: number;
  private everConnected = false;
  private closing = false;
  private readonly jobTimeoutMs: number;
  private readonly cgroupRoot: string | null;

  constructor(private readonly opts: SystemdRuntimeOptions) {
    this.jobTimeoutMs = opts.jobTimeoutMs ?? 90_000;
    this.reconnectDelay = opts.reconnectDelayMs ?? 500;
    this.cgroupRoot = opts.cgroupRoot === undefined ? cgroup2Mount() : opts.cgroupRoot;
  }

  async start(spec: RoomSpec): Promise<void> {
    await writeRoomFiles(this.opts.envDir, spec, this.opts.rtmpUrlBase);
    // A member that hit its start limit stays failed until reset; a new start means try again.
    await Promise.all(MEMBER_ROLES.map((role) => this.resetFailed(memberUnit(role, spec.id))));
    await this.job('StartUnit', groupUnit(spec.id));
  }

  private async resetFailed(unit: string): Promise<void> {
    const bus = await this.bus();
    try {
      await bus.call(MANAGER_PATH, I_MANAGER, 'ResetFailedUnit', 's', [unit]);
    } catch (err) {
      if (err instanceof BusCallError && err.dbusName === 'org.freedesktop.systemd1.NoSuchUnit') return; // never loaded: nothing to reset
      throw this.unavailable(err);
    }
  }

  async stop(roomId: string): Promise<void> {
    await this.stopUnit(groupUnit(roomId));
    // The target stops before its members (they are ordered Before= it), so its job ends while they
    // are still stopping. Stopping each member too makes this return only when every process is gone.
    await Promise.all([...MEMBER_ROLES.map((role) => this.stopUnit(memberUnit(role, roomId))), this.stopUnit(recorderUnit(roomId))]);
    // A member that exits non-zero on SIGTERM ends 'failed'; a room that was asked to stop is
    // stopped, not failed, so the failures of its way down are forgotten.
    await this.resetRoomUnits(roomId);
  }

  /** Stopping a unit systemd does not know (never loaded, template gone) is already done. */
  private async stopUnit(unit: string): Promise<void> {
    try {
      await this.job('StopUnit', unit);
    } catch (err) {
      if (err instanceof RuntimeJobError && err.result === 'NoSuchUnit') return;
      throw err;
    }
  }

  async remove(roomId: string): Promise<void> {
    // The kept profile first: a clean that fails leaves the env file, and the delete is retried.
    await this.cleanProfile(roomId);
    await removeRoomFiles(this.opts.envDir, roomId);
    // A member that ended failed (it crashed, or died on the way down) stays loaded, and listed,
    // until its failure is reset: reset the room's units so systemd forgets a deleted room.
    await this.resetRoomUnits(roomId);
  }

  async cleanProfile(roomId: string): Promise<void> {
    const bus = await this.bus();
    const unit = memberUnit('browser', roomId);
    try {
      await cleanUnitState(bus, unit, this.jobTimeoutMs);
    } catch (err) {
      if (err instanceof CleanStateError) throw new RuntimeJobError(unit, 'clean-failed', err.message, 'browser');
      if (err instanceof BusCallError && !err.dbusName.startsWith('streambox.')) throw err;
      throw this.unavailable(err);
    }
  }

  private resetRoomUnits(roomId: string): Promise<unknown> {
    return Promise.all([groupUnit(roomId), recorderUnit(roomId), ...MEMBER_ROLES.map((role) => memberUnit(role, roomId))].map((unit) => this.resetFailed(unit)));
  }

  /** recorder@.service writes its fixed path (spec.outputPath, which the caller made, is that file). */
  async startRecording(spec: RecordingSpec): Promise<void> {
    await writeFileAtomic(recorderEnvPath(this.opts.envDir, spec.roomId), formatRecorderEnv(spec), 0o600);
    await this.resetFailed(recorderUnit(spec.roomId)); // a crashed recording must not block the next
    await this.job('StartUnit', recorderUnit(spec.roomId));
  }

  async stopRecording(roomId: string): Promise<void> {
    await this.stopUnit(recorderUnit(roomId));
    await this.resetFailed(recorderUnit(roomId));
  }

  async isRecording(roomId: string): Promise<boolean> {
    return RUNNING_STATES.has((await this.unitState(recorderUnit(roomId), true)).activeState);
  }

  async status(roomId: string): Promise<RoomRuntimeStatus> {
    const [group, ...members] = await Promise.all([
      this.unitState(groupUnit(roomId), false),
      ...MEMBER_ROLES.map((role) => this.unitState(memberUnit(role, roomId), true)),
    ]);
    const byRole = Object.fromEntries(MEMBER_ROLES.map((role, i) => [role, members[i]!])) as Record<MemberRole, UnitState>;
    return { group: group!, members: byRole };
  }

  /** The unit's socket, whether or not it runs: connecting to a room that does not is refused. */
  async inputEndpoint(roomId: string): Promise<InputEndpoint> {
    return { path: join(this.opts.vncSocketDir, roomId, 'vnc.sock') };
  }

  async listRunning(): Promise<string[]> {
    const bus = await this.bus();
    const units = await this.guard(() => bus.listUnitsByPatterns([`${GROUP_TEMPLATE}@*.target`]));
    return units.filter((u) => RUNNING_STATES.has(u.activeState)).map((u) => roomOfUnit(u.name)).filter((id): id is string => id !== null);
  }

  async cpuTimeNs(roomId: string): Promise<number | null> {
    const bus = await this.bus();
    const readings = await this.guard(() => Promise.all(MEMBER_ROLES.map((role) => unitCpuNs(bus, memberUnit(role, roomId), this.cgroupRoot))));
    const known = readings.filter((ns): ns is bigint => ns !== null);
    return known.length === 0 ? null : Number(known.reduce((sum, ns) => sum + ns, 0n));
  }

  watch(listener: RuntimeListener): () => void {
    this.listeners.add(listener);
    // Watching needs a live connection even when nobody calls us; connect now (errors retry on their own).
    this.bus().catch(() => undefined);
    return () => this.listeners.delete(listener);
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      const bus = await this.bus();
      const [version, state] = await this.guard(() =>
        Promise.all([this.managerProperty(bus, 'Version'), this.managerProperty(bus, 'SystemState')]),
      );
      return { ok: true, detail: `systemd ${String(version)}, ${String(state)}` };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.listeners.clear();
    this.conn?.close();
    this.conn = null;
  }

  private async managerProperty(bus: SystemdBus, name: string): Promise<unknown> {
    const [variant] = (await bus.call(MANAGER_PATH, I_PROPS, 'Get', 'ss', [I_MANAGER, name])) as [{ value: unknown }];
    return variant.value;
  }

  private async job(method: 'StartUnit' | 'StopUnit', unit: string): Promise<void> {
    const bus = await this.bus();
    let result: string;
    try {
      result = await bus.runJob(method, unit, this.jobTimeoutMs);
    } catch (err) {
      if (err instanceof BusCallError && err.dbusName.startsWith('org.freedesktop.systemd1.')) {
        // NoSuchUnit, LoadFailed, UnitMasked, TransactionIsDestructive ...: the unit itself is the problem.
        throw new RuntimeJobError(unit, err.dbusName.replace('org.freedesktop.systemd1.', ''), `${unit}: ${err.message}`, roleOfUnit(unit));
      }
      if (err instanceof BusTimeoutError) throw new RuntimeJobError(unit, 'timeout', `${unit}: ${err.message}`, roleOfUnit(unit));
      throw this.unavailable(err);
    }
    if (result !== 'done') throw new RuntimeJobError(unit, result, undefined, roleOfUnit(unit));
  }

  private async unitState(unit: string, isService: boolean): Promise<UnitState> {
    const bus = await this.bus();
    return this.guard(async () => {
      const path = await bus.unitPath(unit);
      const [props, service] = await Promise.all([bus.getAll(path, I_UNIT), isService ? bus.getAll(path, I_SERVICE) : Promise.resolve(null)]);
      const changedUsec = props.StateChangeTimestamp;
      return {
        unit,
        activeState: String(props.ActiveState),
        subState: String(props.SubState),
        result: service ? String(service.Result) : 'success',
        since: typeof changedUsec === 'bigint' && changedUsec > 0n ? new Date(Number(changedUsec / 1000n)).toISOString() : null,
        restarts: service && service.NRestarts !== undefined ? Number(service.NRestarts) : null,
      };
    });
  }

  /** Runs bus calls, turning transport failures into RuntimeUnavailableError. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BusCallError && !err.dbusName.startsWith('streambox.')) throw err;
      throw this.unavailable(err);
    }
  }

  private unavailable(err: unknown): RuntimeUnavailableError {
    return new RuntimeUnavailableError(`systemd is not reachable over D-Bus (${this.opts.busAddress}): ${(err as Error).message}`);
  }

  private async bus(): Promise<SystemdBus> {
    if (this.conn && !this.conn.isClosed) return this.conn;
    if (this.closing) throw new RuntimeUnavailableError('the runtime is closed');
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    try {
      return await this.connecting;
    } catch (err) {
      this.scheduleReconnect();
      throw this.unavailable(err);
    }
  }

  private async open(): Promise<SystemdBus> {
    const conn = await SystemdBus.connect(this.opts.busAddress, this.opts.callTimeoutMs);
    conn.on('propertiesChanged', ({ path }: { path: string }) => this.notifyUnit(unitOfPath(path)));
    conn.on('jobRemoved', ({ unit }: { unit: string }) => this.notifyUnit(unit));
    conn.on('reloaded', () => this.notify(null));
    conn.on('closed', () => {
      this.opts.log.warn('systemd bus connection lost', { address: this.opts.busAddress });
      this.notify(null);
      this.scheduleReconnect();
    });
    this.conn = conn;
    this.reconnectDelay = this.opts.reconnectDelayMs ?? 500;
    if (this.everConnected) this.opts.log.info('systemd bus connection restored');
    this.everConnected = true;
    // Anything may have changed while we were not connected: watchers re-read everything.
    queueMicrotask(() => this.notify(null));
    return conn;
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer || this.listeners.size === 0) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(delay * 2, 10_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.bus().catch(() => undefined);
    }, delay);
    this.reconnectTimer.unref();
  }

  private notifyUnit(unit: string | null): void {
    const roomId = unit ? roomOfUnit(unit) : null;
    if (roomId) this.notify(roomId);
  }

  private notify(roomId: string | null): void {
    for (const listener of this.listeners) {
      try {
        listener(roomId);
      } catch (err) {
        this.opts.log.error('runtime listener failed', { err: (err as Error).message });
      }
    }
  }
}
