/**
 * The recordings on disk: `DIR/ROOMID/NAME.mp4`, one file per recording, NAME its start in UTC
 * (`20261202T141500Z`, a second apart at least: a clash gets `-2`, `-3`, ...). The recorder
 * writes `DIR/ROOMID/current.mp4` (its unit's fixed path), which this module creates empty
 * beforehand, so the file belongs to the admin service (systemd opens it as root and truncates
 * it, keeping owner and mode), and renames to its NAME when the recording ends. A `current.mp4`
 * found with no recorder running (the admin service stopped meanwhile) is settled the same way,
 * named after the file's birth time. Directories 0750, files 0600: the admin service's alone.
 */
import { mkdir, open, readdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';

export const CURRENT_FILE = 'current.mp4';
/** A recording's ID: its file name without `.mp4`. */
export const RECORDING_ID = /^\d{8}T\d{6}Z(?:-\d{1,3})?$/;

export interface RecordingFile {
  id: string;
  path: string;
  bytes: number;
  /** When it started (its name), ISO 8601. */
  startedAt: string;
  /** When it was last written, ISO 8601. */
  modifiedAt: string;
}

export function recordingIdAt(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** The start time a recording's ID names. */
export function startOf(id: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id)!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
}

export const roomDir = (base: string, roomId: string) => join(base, roomId);
export const currentPath = (base: string, roomId: string) => join(base, roomId, CURRENT_FILE);
export const recordingPath = (base: string, roomId: string, id: string) => join(base, roomId, `${id}.mp4`);

const exists = (path: string) => stat(path).then(() => true, () => false);

/** An ID for a recording started at `at` that no file of the room has yet. */
export async function freeId(base: string, roomId: string, at: Date): Promise<string> {
  const first = recordingIdAt(at);
  for (let n = 1; n < 1000; n++) {
    const id = n === 1 ? first : `${first}-${n}`;
    if (!(await exists(recordingPath(base, roomId, id)))) return id;
  }
  throw new Error(`no free recording name at ${first}`);
}

/** Makes the room's directory and an empty current.mp4 for the recorder; returns its path. */
export async function prepareCurrent(base: string, roomId: string): Promise<string> {
  await mkdir(roomDir(base, roomId), { recursive: true, mode: 0o750 });
  const path = currentPath(base, roomId);
  const handle = await open(path, 'w', 0o600);
  await handle.close();
  return path;
}

/**
 * Renames current.mp4 to the recording's name (`id`, or one from the file's birth time); an
 * empty one (the recorder never wrote) is removed instead. Returns the ID kept, or null.
 */
export async function settleCurrent(base: string, roomId: string, id: string | null): Promise<string | null> {
  const path = currentPath(base, roomId);
  const info = await stat(path).catch(() => null);
  if (!info) return null;
  if (info.size === 0) {
    await rm(path, { force: true });
    return null;
  }
  const name = id ?? (await freeId(base, roomId, info.birthtimeMs > 0 ? info.birthtime : info.mtime));
  await rename(path, recordingPath(base, roomId, name));
  return name;
}

/** The room's finished recordings (not current.mp4), newest first. */
export async function listRecordings(base: string, roomId: string): Promise<RecordingFile[]> {
  const names = await readdir(roomDir(base, roomId)).catch(() => [] as string[]);
  const files: RecordingFile[] = [];
  for (const name of names) {
    const id = name.replace(/\.mp4$/, '');
    if (name === id || !RECORDING_ID.test(id)) continue;
    const path = join(roomDir(base, roomId), name);
    const info = await stat(path).catch(() => null);
    if (info) files.push({ id, path, bytes: info.size, startedAt: startOf(id), modifiedAt: info.mtime.toISOString() });
  }
  return files.sort((a, b) => b.id.localeCompare(a.id));
}

/** Bytes of every room's recordings (the cap counts them all). */
export async function totalBytes(base: string): Promise<number> {
  let total = 0;
  for (const room of await readdir(base).catch(() => [] as string[])) {
    for (const name of await readdir(join(base, room)).catch(() => [] as string[])) {
      total += (await stat(join(base, room, name)).catch(() => ({ size: 0 }))).size;
    }
  }
  return total;
}

/** Free bytes for an unprivileged writer on the filesystem holding `base` (or its parent). */
export async function freeBytes(base: string): Promise<number> {
  const fs = await statfs(base).catch(() => statfs(join(base, '..')));
  return fs.bavail * fs.bsize;
}

export async function removeRecording(base: string, roomId: string, id: string): Promise<boolean> {
  const path = recordingPath(base, roomId, id);
  if (!(await exists(path))) return false;
  await rm(path, { force: true });
  return true;
}

/** Every recording of the room, and its directory. Idempotent. */
export async function removeRoomRecordings(base: string, roomId: string): Promise<void> {
  await rm(roomDir(base, roomId), { recursive: true, force: true });
}
