/** Unit names of a room and systemd's object-path escaping. Pure functions, no D-Bus. */
import type { MemberRole } from '../types.js';

/** The template behind each role; units/ must ship these. */
export const MEMBER_TEMPLATES: Record<MemberRole, string> = {
  display: 'xvfb',
  audio: 'pulse',
  browser: 'browser',
  input: 'x11vnc',
  stream: 'ffmpeg',
};

export const GROUP_TEMPLATE = 'room';
/** The room's recorder: not a member (it runs only while the room records), but the room's unit. */
export const RECORDER_TEMPLATE = 'recorder';

export function groupUnit(roomId: string): string {
  return `${GROUP_TEMPLATE}@${roomId}.target`;
}

export function recorderUnit(roomId: string): string {
  return `${RECORDER_TEMPLATE}@${roomId}.service`;
}

export function memberUnit(role: MemberRole, roomId: string): string {
  return `${MEMBER_TEMPLATES[role]}@${roomId}.service`;
}

const ROOM_UNIT = new RegExp(`^(?:${[GROUP_TEMPLATE, RECORDER_TEMPLATE, ...Object.values(MEMBER_TEMPLATES)].join('|')})@([^.]+)\\.(?:service|target)$`);

/** The room a unit belongs to, or null when it is not one of a room's units. */
export function roomOfUnit(unit: string): string | null {
  return ROOM_UNIT.exec(unit)?.[1] ?? null;
}

/** The member role a unit plays, or null (the group, or not a room unit). */
export function roleOfUnit(unit: string): MemberRole | null {
  const template = unit.split('@')[0];
  const entry = Object.entries(MEMBER_TEMPLATES).find(([, name]) => name === template);
  return entry ? (entry[0] as MemberRole) : null;
}

const UNIT_PATH_PREFIX = '/org/freedesktop/systemd1/unit/';

/** Inverse of systemd's bus path escaping: every byte outside [A-Za-z0-9] becomes _xx (hex). */
export function unitOfPath(path: string): string | null {
  if (!path.startsWith(UNIT_PATH_PREFIX)) return null;
  const escaped = path.slice(UNIT_PATH_PREFIX.length);
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    const ch = escaped[i]!;
    if (ch === '_' && /^[0-9a-f]{2}$/i.test(escaped.slice(i + 1, i + 3))) {
      bytes.push(parseInt(escaped.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(ch.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function pathOfUnit(unit: string): string {
  let out = '';
  for (const byte of Buffer.from(unit, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9]/.test(ch) ? ch : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return UNIT_PATH_PREFIX + out;
}
