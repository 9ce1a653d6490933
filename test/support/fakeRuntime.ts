/**
 * An in-memory RoomRuntime for tests of the logic above the runtime (API, rooms service).
 * The real boundary is tested against a real systemd in test/systemd/.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MEMBER_ROLES, RuntimeJobError, RuntimeUnavailableError, type InputEndpoint, type MemberRole, type RecordingSpec, type RoomRuntime, type RoomRuntimeStatus, type RoomSpec, type RuntimeListener, type UnitState } from '../../server/runtime/types.js';

export class FakeRuntime implements RoomRuntime {
  readonly calls: string[] = [];
  readonly specs = new Map<string, RoomSpec>();
  readonly running = new Set<string>();
  /** Rooms whose browser has a kept profile (made at a start with keepLogins, like the unit's StateDirectory=). */
  readonly profiles = new Set<string>();
  /** Members that fail when their room starts. */
  failingRoles = new Set<MemberRole>();
  /** When set, start() throws this job error for the group. */
  startJobResult: string | null = null;
  available = true;
  /** What cpuTimeNs() reports for a running room (tests set it); absent: 0. */
  readonly cpuNs = new Map<string, number>();
  /** status() calls so far (what a cache in front of the runtime saves). */
  statusReads = 0;
  /** Rooms whose recorder runs, with what it was given. */
  readonly recordings = new Map<string, RecordingSpec>();
  /** What a started recorder writes into its output file (a real MP4, e.g. made with ffmpeg); none: it stays empty. */
  recordingFixture: string | null = null;
  /** When set, startRecording() throws this job error. */
  recordingJobResult: string | null = null;
  /** Where rooms' x11vnc listen, as the systemd runtime says: `${vncSocketDir}/ID/vnc.sock` (tests that run one set it). */
  vncSocketDir = '/run/streambox-room';
  /** Rooms whose x11vnc listens elsewhere (on TCP, as on Kubernetes). */
  readonly inputEndpoints = new Map<string, InputEndpoint>();
  private readonly listeners = new Set<RuntimeListener>();

  async start(spec: RoomSpec): Promise<void> {
    this.ensureAvailable();
    this.calls.push(`start ${spec.id}`);
    this.specs.set(spec.id, spec);
    if (this.startJobResult) throw new RuntimeJobError(`room@${spec.id}.target`, this.startJobResult);
    this.running.add(spec.id);
    if (spec.keepLogins) this.profiles.add(spec.id);
  }

  async stop(roomId: string): Promise<void> {
    this.ensureAvailable();
    this.calls.push(`stop ${roomId}`);
    this.running.delete(roomId);
    this.recordings.delete(roomId); // recorder@ is PartOf= the room
  }

  async remove(roomId: string): Promise<void> {
    this.ensureAvailable();
    this.calls.push(`remove ${roomId}`);
    this.profiles.delete(roomId); // the systemd runtime cleans the browser's state here too
    this.specs.delete(roomId);
  }

  async cleanProfile(roomId: string): Promise<void> {
    this.ensureAvailable();
    this.calls.push(`clean ${roomId}`);
    // systemd refuses to clean a unit that runs (CleanUnit: "not inactive").
    if (this.running.has(roomId)) throw new RuntimeJobError(`browser@${roomId}.service`, 'clean-failed', 'unit is not inactive', 'browser');
    this.profiles.delete(roomId);
  }

  async status(roomId: string): Promise<RoomRuntimeStatus> {
    this.statusReads++;
    this.ensureAvailable();
    const on = this.running.has(roomId);
    const unit = (name: string, failed: boolean): UnitState => ({
      unit: name,
      activeState: failed ? 'failed' : on ? 'active' : 'inactive',
      subState: failed ? 'failed' : on ? 'running' : 'dead',
      result: failed ? 'exit-code' : 'success',
      since: null,
      restarts: 0,
    });
    return {
      group: unit(`room@${roomId}.target`, false),
      members: Object.fromEntries(MEMBER_ROLES.map((role) => [role, unit(`${role}@${roomId}.service`, on && this.failingRoles.has(role))])) as Record<MemberRole, UnitState>,
    };
  }

  async startRecording(spec: RecordingSpec): Promise<void> {
    this.ensureAvailable();
    this.calls.push(`record ${spec.roomId}`);
    if (this.recordingJobResult) throw new RuntimeJobError(`recorder@${spec.roomId}.service`, this.recordingJobResult);
    if (this.recordingFixture) await copyFile(this.recordingFixture, spec.outputPath);
    this.recordings.set(spec.roomId, spec);
  }

  async stopRecording(roomId: string): Promise<void> {
    this.ensureAvailable();
    this.calls.push(`stop-recording ${roomId}`);
    this.recordings.delete(roomId);
  }

  async isRecording(roomId: string): Promise<boolean> {
    this.ensureAvailable();
    return this.recordings.has(roomId);
  }

  async inputEndpoint(roomId: string): Promise<InputEndpoint> {
    this.ensureAvailable();
    return this.inputEndpoints.get(roomId) ?? { path: join(this.vncSocketDir, roomId, 'vnc.sock') };
  }

  async listRunning(): Promise<string[]> {
    this.ensureAvailable();
    return [...this.running];
  }

  async cpuTimeNs(roomId: string): Promise<number | null> {
    this.ensureAvailable();
    return this.running.has(roomId) ? (this.cpuNs.get(roomId) ?? 0) : null;
  }

  watch(listener: RuntimeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(roomId: string | null): void {
    for (const l of this.listeners) l(roomId);
  }

  async health() {
    return this.available ? { ok: true, detail: 'fake' } : { ok: false, detail: 'fake runtime down' };
  }

  async close(): Promise<void> {}

  private ensureAvailable(): void {
    if (!this.available) throw new RuntimeUnavailableError('fake runtime down');
  }
}
