/** Request bodies and parameters, validated at the edge. Limits here are the product's limits. */
import { z } from 'zod';
import { RECORDING_ID } from '../recordings/files.js';
import { ROOM_ID_PATTERN } from '../rooms/ids.js';
import type { RoomConfig } from '../rooms/types.js';
import { CLEAN_TEXT_MESSAGE, isCleanText } from './text.js';
import { ALLOWLIST_LIMITS, allows, formatPattern, parsePattern } from '../rooms/urlAllowlist.js';
import { CLIPBOARD_MODES, DEFAULT_CLIPBOARD } from '../rooms/clipboard.js';
import { MAX_SESSION_MINUTES, MIN_SESSION_MINUTES } from '../rooms/sessionRules.js';

export const LIMITS = {
  nameMax: 80,
  urlMax: 2048,
  passwordMin: 8,
  passwordMax: 128,
  width: { min: 320, max: 3840 },
  height: { min: 240, max: 2160 },
  fps: { min: 1, max: 60 },
  bitrateKbps: { min: 200, max: 50_000 },
} as const;

const httpUrl = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'is required' })
  .max(LIMITS.urlMax, { error: `must be at most ${LIMITS.urlMax} characters` })
  .refine((value) => URL.canParse(value), { error: 'must be an absolute URL' })
  .refine((value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol), { error: 'must use http or https' })
  .transform((value) => new URL(value).href)
  // Normalising percent-encodes non-ASCII (one "é" becomes six characters): check what is stored.
  .refine((href) => href.length <= LIMITS.urlMax, { error: `must be at most ${LIMITS.urlMax} characters once normalised (non-ASCII characters count as their percent-encoding)` });

/** A room's password: at least passwordMin characters (it guards what everyone in the room sees). */
export const roomPassword = z
  .string({ error: 'must be a string' })
  .min(LIMITS.passwordMin, { error: `must be at least ${LIMITS.passwordMin} characters` })
  .max(LIMITS.passwordMax, { error: `must be at most ${LIMITS.passwordMax} characters` });

/** A room's URL allowlist (see rooms/urlAllowlist.ts): normalised patterns, or null for none. */
const urlAllowlist = z
  .array(z.string({ error: 'must be a list of URL patterns (strings)' }), { error: 'must be a list of URL patterns' })
  .max(ALLOWLIST_LIMITS.entries, { error: `must have at most ${ALLOWLIST_LIMITS.entries} entries` })
  .transform((list, ctx) => {
    const out: string[] = [];
    for (const [i, raw] of list.entries()) {
      try {
        const p = formatPattern(parsePattern(raw));
        if (!out.includes(p)) out.push(p);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} (${raw.slice(0, 60)}) ${(e as Error).message}` });
        return z.NEVER;
      }
    }
    return out.length > 0 ? out : null;
  })
  .nullable()
  .optional();

/** Minutes for a session rule: 0 (never), or MIN..MAX (fractions allowed); null or absent: the appliance's default. */
const sessionMinutes = z
  .number({ error: 'must be a number of minutes, 0 (never) or null (the appliance\'s default)' })
  .refine((n) => n === 0 || (n >= MIN_SESSION_MINUTES && n <= MAX_SESSION_MINUTES), { error: `must be 0 (never) or from ${MIN_SESSION_MINUTES} to ${MAX_SESSION_MINUTES} minutes` })
  .nullable()
  .default(null);

const evenInt = (name: 'width' | 'height') =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(LIMITS[name].min, { error: `must be at least ${LIMITS[name].min}` })
    .max(LIMITS[name].max, { error: `must be at most ${LIMITS[name].max}` })
    .refine((n) => n % 2 === 0, { error: 'must be even (the H.264 encoder needs even sizes)' });

export const createRoomSchema = z.strictObject(
  {
    name: z
      .string({ error: 'must be a string' })
      .trim()
      .min(1, { error: 'is required' })
      .max(LIMITS.nameMax, { error: `must be at most ${LIMITS.nameMax} characters` })
      .refine(isCleanText, { error: CLEAN_TEXT_MESSAGE }),
    startUrl: httpUrl,
    width: evenInt('width').default(1920),
    height: evenInt('height').default(1080),
    fps: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(LIMITS.fps.min, { error: `must be at least ${LIMITS.fps.min}` })
      .max(LIMITS.fps.max, { error: `must be at most ${LIMITS.fps.max}` })
      .default(30),
    videoBitrateKbps: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(LIMITS.bitrateKbps.min, { error: `must be at least ${LIMITS.bitrateKbps.min}` })
      .max(LIMITS.bitrateKbps.max, { error: `must be at most ${LIMITS.bitrateKbps.max}` })
      .optional(),
    password: roomPassword.nullable().optional(),
    urlAllowlist,
    clipboard: z.enum(CLIPBOARD_MODES, { error: "must be 'off', 'driver' or 'everyone'" }).default(DEFAULT_CLIPBOARD),
    idleStopMinutes: sessionMinutes,
    maxDurationMinutes: sessionMinutes,
    keepLogins: z.boolean({ error: 'must be true or false' }).default(false),
  },
  { error: 'must be a JSON object' },
).superRefine((body, ctx) => {
  // A room never starts on a page its own allowlist blocks.
  if (body.urlAllowlist && !allows(body.urlAllowlist.map(parsePattern), body.startUrl)) {
    ctx.addIssue({ code: 'custom', path: ['startUrl'], message: 'is not on the room\'s URL allowlist' });
  }
});

export type CreateRoomBody = z.infer<typeof createRoomSchema>;

/** About 0.065 bits per pixel per frame: 4 Mbit/s at 1080p30, enough for desktop-like content. */
export function defaultBitrateKbps(width: number, height: number, fps: number): number {
  return Math.max(LIMITS.bitrateKbps.min, Math.round((width * height * fps * 0.065) / 1000 / 100) * 100);
}

export function roomConfigOf(body: CreateRoomBody): RoomConfig {
  return {
    width: body.width,
    height: body.height,
    fps: body.fps,
    videoBitrateKbps: body.videoBitrateKbps ?? defaultBitrateKbps(body.width, body.height, body.fps),
    startUrl: body.startUrl,
    urlAllowlist: body.urlAllowlist ?? null,
    clipboard: body.clipboard,
    idleStopMinutes: body.idleStopMinutes,
    maxDurationMinutes: body.maxDurationMinutes,
    keepLogins: body.keepLogins,
  };
}

export const roomIdParam = z.object({
  id: z.string().regex(ROOM_ID_PATTERN, { error: 'is not a room ID (24 characters, a-z and 2-7)' }),
});

export const loginSchema = z.strictObject({ password: z.string({ error: 'must be a string' }).min(1, { error: 'is required' }).max(1024) }, { error: 'must be a JSON object' });

export const changePasswordSchema = z.strictObject(
  {
    currentPassword: z.string({ error: 'must be a string' }).min(1, { error: 'is required' }).max(1024),
    newPassword: z.string({ error: 'must be a string' }).min(12, { error: 'must be at least 12 characters' }).max(1024),
  },
  { error: 'must be a JSON object' },
);

/** PUT /api/rooms/:id/password: a new password, or null to open the room. */
export const roomPasswordSchema = z.strictObject({ password: roomPassword.nullable() }, { error: 'must be a JSON object' });

/** A participant as the room channel names it (welcome's you.id). */
export const participantParam = z.object({
  id: z.string().regex(ROOM_ID_PATTERN, { error: 'is not a room ID (24 characters, a-z and 2-7)' }),
  participantId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, { error: 'is not a participant ID' }),
});

export const joinSchema = z.strictObject({ password: z.string({ error: 'must be a string' }).max(LIMITS.passwordMax).nullable().optional() }, { error: 'must be a JSON object' });

/** The participant proves who it is with the ID and key its room channel's welcome gave it. */
export const vncTokenSchema = z.strictObject(
  {
    participantId: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_-]{8,64}$/, { error: 'must be 8-64 URL-safe characters' }),
    participantKey: z.string({ error: 'must be a string' }).min(16, { error: 'is too short' }).max(128, { error: 'is too long' }),
  },
  { error: 'must be a JSON object' },
);

/** Who starts or stops a recording: nothing for the admin (the session says it), the driver's channel ID and key. */
export const recordingActorSchema = z.strictObject(
  {
    participantId: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_-]{8,64}$/, { error: 'must be 8-64 URL-safe characters' }).optional(),
    participantKey: z.string({ error: 'must be a string' }).min(16, { error: 'is too short' }).max(128, { error: 'is too long' }).optional(),
  },
  { error: 'must be a JSON object' },
);

export const recordingParam = roomIdParam.extend({
  recordingId: z.string().regex(RECORDING_ID, { error: 'is not a recording ID (its start, e.g. 20261202T141500Z)' }),
});
