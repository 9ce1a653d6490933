/**
 * The room's env file, read by the units with EnvironmentFile=, the x11vnc password file,
 * handed to x11vnc with LoadCredential=, and the kiosk's policy file (its URLAllowlist),
 * bound by browser@.service over /etc/chromium/policies/managed/url-allowlist.json. All are
 * written atomically (temp file, fsync, rename) so a unit never reads half a file. The values
 * themselves are ../roomEnv.ts's (the Kubernetes runtime puts the same ones in a Secret).
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RecordingSpec, RoomSpec } from '../types.js';
import { formatPolicyFile, recorderEnvVars, roomEnvVars } from '../roomEnv.js';

export function envFilePath(dir: string, roomId: string): string {
  return join(dir, `${roomId}.env`);
}

export function vncPasswordPath(dir: string, roomId: string): string {
  return join(dir, `${roomId}.vncpass`);
}

/** The encoder's secret files (ffmpeg@.service loads them with LoadCredential=). */
export function encoderFilePaths(dir: string, roomId: string): { rtmpPreset: string; ingestMetadata: string } {
  return { rtmpPreset: join(dir, `${roomId}.rtmp.ffpreset`), ingestMetadata: join(dir, `${roomId}.ingest.meta`) };
}

/** The recorder's source (recorder@.service reads it with EnvironmentFile=; a token is in it). */
export function recorderEnvPath(dir: string, roomId: string): string {
  return join(dir, `${roomId}.recorder.env`);
}

export function formatRecorderEnv(spec: RecordingSpec): string {
  return `# Written by streambox-admin for room ${spec.roomId} before each recording.\n${envLines(recorderEnvVars(spec))}\n`;
}

export function policyPath(dir: string, roomId: string): string {
  return join(dir, `${roomId}.policy.json`);
}

/** systemd EnvironmentFile syntax: double quotes, with backslash escapes for \ " $ and newlines. */
export function quoteEnvValue(value: string): string {
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

function envLines(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([key, value]) => `${key}=${quoteEnvValue(value)}`)
    .join('\n');
}

export function formatEnvFile(spec: RoomSpec, rtmpUrlBase: string): string {
  return `# Written by streambox-admin for room ${spec.id}; edits are overwritten on the next start.\n${envLines(roomEnvVars(spec, rtmpUrlBase))}\n`;
}

export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.chmod(mode); // the process umask must not narrow it (the policy file is 0644)
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function writeRoomFiles(dir: string, spec: RoomSpec, rtmpUrlBase: string): Promise<void> {
  await writeFileAtomic(vncPasswordPath(dir, spec.id), `${spec.vncPassword}\n`, 0o600);
  // 0600: it holds the relay key (systemd reads it as root).
  // 0644 inside the 0700 directory: Chromium reads it through the bind mount as the room's user.
  await writeFileAtomic(policyPath(dir, spec.id), formatPolicyFile(spec), 0o644);
  if (spec.encoderFiles) {
    const paths = encoderFilePaths(dir, spec.id);
    await writeFileAtomic(paths.rtmpPreset, spec.encoderFiles.rtmpPreset, 0o600);
    await writeFileAtomic(paths.ingestMetadata, spec.encoderFiles.ingestMetadata, 0o600);
  }
  await writeFileAtomic(envFilePath(dir, spec.id), formatEnvFile(spec, rtmpUrlBase), 0o600);
}

export async function removeRoomFiles(dir: string, roomId: string): Promise<void> {
  await rm(envFilePath(dir, roomId), { force: true });
  await rm(vncPasswordPath(dir, roomId), { force: true });
  await rm(policyPath(dir, roomId), { force: true });
  await rm(recorderEnvPath(dir, roomId), { force: true });
  for (const path of Object.values(encoderFilePaths(dir, roomId))) await rm(path, { force: true });
}
