/**
 * Recording a room: one recording at a time per room, started and stopped by the driver or the
 * admin (the routes check who), listed, downloaded and deleted by the admin, all gone with the
 * room. The recorder is the runtime's (units/recorder@.service: the room's encode copied into a
 * fragmented MP4); the files are files.ts's; the limits limits.ts's.
 *
 * Every `checkMs` (and at start()) each recording is checked: a recorder that stopped on its
 * own (crashed, the room stopped, its source went away) ends its recording, the file kept up to
 * its last fragment; recordings past the disk limits are stopped. Each start and end is told to
 * the room (`recording` on the room channel), with the reason when it ended by itself.
 * After a restart of the admin service a recorder still running is taken up again.
 */
import { KeyedLock } from '../keyedLock.js';
import { rm, stat } from 'node:fs/promises';
import type { RoomRuntime } from '../runtime/types.js';
import { RuntimeJobError, RuntimeUnavailableError } from '../runtime/types.js';
import type { RoomsService } from '../rooms/service.js';
import type { Logger } from '../log.js';
import { AppError, notFound, storageFull, unavailable } from '../errors.js';
import type { ServerMessage } from '../../protocol/roomChannel.js';
import { currentPath, freeBytes, freeId, listRecordings, prepareCurrent, recordingPath, removeRecording, removeRoomRecordings, settleCurrent, totalBytes } from './files.js';
import { diskRefusal, type RecordingLimits } from './limits.js';
import { Prober } from './probe.js';


export interface RecordingsDeps {
  runtime: Pick<RoomRuntime, 'startRecording' | 'stopRecording' | 'isRecording'>;
  rooms: Pick<RoomsService, 'get' | 'list' | 'status'>;
  /** The room's stream for the recorder: `${rtmpBase}/ID`, plus `?token=` from playToken. */
  rtmpBase: string;
  playToken: (roomId: string) => string | null;
  dir: string;
  limits: RecordingLimits;
  /** Tells everyone in the room (the presence hub's announce). */
  announce: (roomId: string, msg: ServerMessage) => void;
  log: Logger;
  now?: () => number;
  checkMs?: number;
  ffprobe?: string;
}

export interface ActiveRecording {
  id: string;
  startedAt: string;
}

export interface RecordingView {
  id: string;
  startedAt: string;
  bytes: number;
  /** Seconds: the file's, or for the one being recorded, since it started. */
  durationSeconds: number | null;
  tracks: string[];
  active: boolean;
}

export class RecordingsService {
  private readonly active = new Map<string, ActiveRecording>();
  /** Why each room's last recording ended by itself (shown with the indicator), until the next start. */
  private readonly endReason = new Map<string, string>();
  private readonly locks = new KeyedLock();
  private readonly prober: Prober;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: RecordingsDeps) {
    this.now = deps.now ?? Date.now;
    this.prober = new Prober(deps.ffprobe);
  }

  /** Takes up recorders still running, settles files left by ones that are not, then checks every checkMs. */
  async start(): Promise<void> {
    for (const room of this.deps.rooms.list()) {
      await this.exclusive(room.id, () => this.adopt(room.id)).catch((err) => this.deps.log.warn('recordings: could not take up', { room: room.id, err: (err as Error).message }));
    }
    this.timer ??= setInterval(() => void this.check(), this.deps.checkMs ?? 3000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The room channel's indicator (sent to each joiner, and to everyone on a change). */
  indicator(roomId: string): ServerMessage {
    const a = this.active.get(roomId);
    return { type: 'recording', active: !!a, startedAt: a?.startedAt ?? null, reason: a ? null : (this.endReason.get(roomId) ?? null) };
  }

  current(roomId: string): ActiveRecording | null {
    return this.active.get(roomId) ?? null;
  }

  async startRecording(roomId: string, by: string): Promise<ActiveRecording> {
    return this.exclusive(roomId, async () => {
      const room = this.deps.rooms.get(roomId);
      if (this.active.has(roomId)) throw new AppError(409, 'already_recording', 'this room is already recording: stop it first');
      const state = (await this.deps.rooms.status(room)).state;
      if (state !== 'live') throw new AppError(409, 'room_not_live', `the room is ${state}: only a live room can be recorded`);
      const refusal = diskRefusal(await this.diskUse(), this.deps.limits);
      if (refusal) throw storageFull(refusal);
      const startedAt = new Date(this.now());
      const id = await freeId(this.deps.dir, roomId, startedAt);
      const outputPath = await prepareCurrent(this.deps.dir, roomId);
      const token = this.deps.playToken(roomId);
      try {
        await this.deps.runtime.startRecording({ roomId, outputPath, sourceUrl: `${this.deps.rtmpBase}/${roomId}${token ? `?token=${token}` : ''}` });
      } catch (err) {
        await this.deps.runtime.stopRecording(roomId).catch(() => undefined);
        await rm(outputPath, { force: true }); // nothing half-made
        if (err instanceof RuntimeUnavailableError) throw unavailable(err.message);
        if (err instanceof RuntimeJobError) throw new AppError(502, 'recorder_failed', `the recorder did not start (${err.result}); see the journal of recorder@${roomId}.service`);
        throw err;
      }
      const recording = { id, startedAt: startedAt.toISOString() };
      this.active.set(roomId, recording);
      this.endReason.delete(roomId);
      this.deps.log.info('recording started', { room: roomId, recording: id, by });
      this.deps.announce(roomId, this.indicator(roomId));
      return recording;
    });
  }

  /** Stops the room's recording; `reason` (null: someone asked) is told to the room. */
  async stopRecording(roomId: string, by: string, reason: string | null = null): Promise<RecordingView> {
    return this.exclusive(roomId, async () => {
      this.deps.rooms.get(roomId);
      const a = this.active.get(roomId);
      if (!a) throw new AppError(409, 'not_recording', 'this room is not recording');
      try {
        await this.deps.runtime.stopRecording(roomId);
      } catch (err) {
        if (err instanceof RuntimeUnavailableError) throw unavailable(err.message);
        throw err;
      }
      await this.finish(roomId, a, reason, by);
      return (await this.list(roomId)).find((r) => r.id === a.id) ?? { id: a.id, startedAt: a.startedAt, bytes: 0, durationSeconds: null, tracks: [], active: false };
    });
  }

  async list(roomId: string): Promise<RecordingView[]> {
    this.deps.rooms.get(roomId);
    const views: RecordingView[] = [];
    const a = this.active.get(roomId);
    if (a) {
      const info = await stat(currentPath(this.deps.dir, roomId)).catch(() => null);
      views.push({ id: a.id, startedAt: a.startedAt, bytes: info?.size ?? 0, durationSeconds: Math.max(0, Math.round((this.now() - Date.parse(a.startedAt)) / 100) / 10), tracks: [], active: true });
    }
    for (const f of await listRecordings(this.deps.dir, roomId)) {
      const probe = await this.prober.probe(f.path, f.bytes, f.modifiedAt);
      views.push({ id: f.id, startedAt: f.startedAt, bytes: f.bytes, durationSeconds: probe.durationSeconds, tracks: probe.tracks, active: false });
    }
    return views;
  }

  /** The file to download: a finished recording, or the one being written (it plays up to now). */
  async file(roomId: string, id: string): Promise<{ path: string; bytes: number }> {
    this.deps.rooms.get(roomId);
    const path = this.active.get(roomId)?.id === id ? currentPath(this.deps.dir, roomId) : recordingPath(this.deps.dir, roomId, id);
    const info = await stat(path).catch(() => null);
    if (!info) throw notFound(`recording ${id} of room ${roomId}`);
    return { path, bytes: info.size };
  }

  async remove(roomId: string, id: string): Promise<void> {
    return this.exclusive(roomId, async () => {
      this.deps.rooms.get(roomId);
      if (this.active.get(roomId)?.id === id) throw new AppError(409, 'recording_active', 'this recording is still going: stop it first');
      if (!(await removeRecording(this.deps.dir, roomId, id))) throw notFound(`recording ${id} of room ${roomId}`);
      this.prober.forget(recordingPath(this.deps.dir, roomId, id));
      this.deps.log.info('recording deleted', { room: roomId, recording: id });
    });
  }

  /** The rooms service's delete hook (its runtime.stop already stopped the recorder). Idempotent. */
  async roomDeleted(roomId: string): Promise<void> {
    await this.exclusive(roomId, async () => {
      this.active.delete(roomId);
      this.endReason.delete(roomId);
      await removeRoomRecordings(this.deps.dir, roomId);
    });
  }

  async diskUse(): Promise<{ usedBytes: number; freeBytes: number }> {
    return { usedBytes: await totalBytes(this.deps.dir), freeBytes: await freeBytes(this.deps.dir) };
  }

  /** Ends recordings whose recorder stopped by itself, and stops those past the disk limits. */
  async check(): Promise<void> {
    if (this.active.size === 0) return;
    const refusal = diskRefusal(await this.diskUse(), this.deps.limits);
    for (const [roomId, a] of [...this.active]) {
      try {
        if (refusal) {
          await this.stopRecording(roomId, 'disk limit', `recording stopped: ${refusal}`).catch(() => undefined);
          continue;
        }
        await this.exclusive(roomId, async () => {
          if (this.active.get(roomId) !== a || (await this.deps.runtime.isRecording(roomId))) return;
          await this.finish(roomId, a, await this.endedWhy(roomId), 'recorder');
        });
      } catch (err) {
        this.deps.log.warn('recordings: check failed', { room: roomId, err: (err as Error).message });
      }
    }
  }

  private async endedWhy(roomId: string): Promise<string> {
    try {
      const state = (await this.deps.rooms.status(this.deps.rooms.get(roomId))).state;
      if (state !== 'live') return `recording stopped: the room is ${state}`;
    } catch {
      return 'recording stopped: the room is gone';
    }
    return 'recording stopped: the recorder ended (see its journal); the file keeps what was recorded';
  }

  private async finish(roomId: string, a: ActiveRecording, reason: string | null, by: string): Promise<void> {
    await settleCurrent(this.deps.dir, roomId, a.id);
    this.active.delete(roomId);
    if (reason) this.endReason.set(roomId, reason);
    this.deps.log.info('recording ended', { room: roomId, recording: a.id, by, reason });
    this.deps.announce(roomId, this.indicator(roomId));
  }

  private async adopt(roomId: string): Promise<void> {
    if (await this.deps.runtime.isRecording(roomId)) {
      const info = await stat(currentPath(this.deps.dir, roomId)).catch(() => null);
      const startedAt = new Date(info && info.birthtimeMs > 0 ? info.birthtimeMs : this.now());
      this.active.set(roomId, { id: await freeId(this.deps.dir, roomId, startedAt), startedAt: startedAt.toISOString() });
      return;
    }
    await settleCurrent(this.deps.dir, roomId, null);
  }

  private exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }
}

