/**
 * The recordings' disk limits (pure): a cap on the bytes of all recordings together, and a floor
 * of free space left on their filesystem for everything else (the database, the logs). Checked
 * before a start (refused with 507) and every few seconds while recording (stopped, and the
 * room is told why).
 */
export interface RecordingLimits {
  /** Bytes all recordings may take together. */
  maxBytes: number;
  /** Bytes that must stay free on the recordings' filesystem. */
  minFreeBytes: number;
}

export interface DiskUse {
  usedBytes: number;
  freeBytes: number;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** Why no more may be recorded, or null when there is room. */
export function diskRefusal(use: DiskUse, limits: RecordingLimits): string | null {
  if (use.usedBytes >= limits.maxBytes) return `the recordings take ${gib(use.usedBytes)} of the ${gib(limits.maxBytes)} they may use: delete some first`;
  if (use.freeBytes <= limits.minFreeBytes) return `the disk has ${gib(use.freeBytes)} free, and ${gib(limits.minFreeBytes)} must stay free: delete some recordings first`;
  return null;
}

/** Limits from the environment: STREAMBOX_RECORDINGS_MAX_BYTES (20 GiB), STREAMBOX_RECORDINGS_MIN_FREE_BYTES (2 GiB). */
export function loadRecordingLimits(env: NodeJS.ProcessEnv): RecordingLimits {
  return {
    maxBytes: bytes(env.STREAMBOX_RECORDINGS_MAX_BYTES, 20 * 2 ** 30, 'STREAMBOX_RECORDINGS_MAX_BYTES'),
    minFreeBytes: bytes(env.STREAMBOX_RECORDINGS_MIN_FREE_BYTES, 2 * 2 ** 30, 'STREAMBOX_RECORDINGS_MIN_FREE_BYTES'),
  };
}

function bytes(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number of bytes, got '${value}'`);
  return n;
}
