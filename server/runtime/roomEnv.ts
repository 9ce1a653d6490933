/**
 * What a room's processes are told, whatever runs them: the variables every member reads, the
 * kiosk's policy file and the recorder's source. systemd/envFile.ts writes them as an
 * EnvironmentFile= and files beside it; kubernetes/ puts the same values in the room's Secret.
 * Only the way they are written differs, never the values.
 */
import type { RecordingSpec, RoomSpec } from './types.js';
import { policyAllowlist } from '../rooms/urlAllowlist.js';

/**
 * The browser's --user-data-dir: the room's private /tmp (fresh at every start), or for a room that
 * keeps logins its kept profile (systemd: browser@.service's StateDirectory=; Kubernetes: the
 * room's profile volume, mounted at the same path).
 */
export function profileDir(spec: Pick<RoomSpec, 'id' | 'keepLogins'>): string {
  return spec.keepLogins ? `/var/lib/streambox/profiles/${spec.id}` : '/tmp/chromium';
}

/** The variables every member of the room reads (units/*@.service use them as ${NAME}). */
export function roomEnvVars(spec: RoomSpec, rtmpUrlBase: string): Record<string, string> {
  const vars: Record<string, string | number> = {
    ROOM_ID: spec.id,
    ROOM_DISPLAY: spec.display,
    ROOM_WIDTH: spec.width,
    ROOM_HEIGHT: spec.height,
    ROOM_FPS: spec.fps,
    // Two key frames a second: HLS cuts 0.5 s fragments; fast-path viewers resync within 0.5 s.
    ROOM_KEYFRAME_INTERVAL: Math.max(1, Math.round(spec.fps / 2)),
    ROOM_VIDEO_BITRATE_KBPS: spec.videoBitrateKbps,
    ROOM_START_URL: spec.startUrl,
    // For operators reading the file; the kiosk enforces it from the policy file.
    ROOM_URL_ALLOWLIST: (spec.urlAllowlist ?? []).join(' '),
    ROOM_PROFILE_DIR: profileDir(spec),
    ROOM_RTMP_URL: `${rtmpUrlBase}/${spec.id}`,
    ROOM_RELAY_URL: spec.relayUrl,
  };
  return Object.fromEntries(Object.entries(vars).map(([key, value]) => [key, String(value)]));
}

/**
 * The room's own Chromium policies (the rest is the image's streambox-kiosk.json): URLAllowlist,
 * and ForceEphemeralProfiles, true unless the room keeps logins. With it Chromium marks the
 * profile for deletion at exit and opens a new "Profile 1" at the next start (measured on the
 * appliance: the kept cookie was in Default/Cookies, the restarted kiosk used Profile 1).
 */
export function formatPolicyFile(spec: RoomSpec): string {
  return `${JSON.stringify({ URLAllowlist: policyAllowlist(spec.urlAllowlist), ForceEphemeralProfiles: !spec.keepLogins }, null, 2)}\n`;
}

/** The recorder's variables (a playback token is in the source URL: keep them secret). */
export function recorderEnvVars(spec: RecordingSpec): Record<string, string> {
  return { RECORD_SOURCE_URL: spec.sourceUrl };
}
