/**
 * Caps on what one participant or one client address can take of a room, and the idle rule.
 * Read from the environment (/etc/streambox/streambox.env on the appliance):
 *
 *   STREAMBOX_CONTROL_IDLE_SECONDS     control goes after this long without input seen by the
 *                                      VNC gateway (default 300); the holder is warned
 *                                      STREAMBOX_CONTROL_WARN_SECONDS before (default 30)
 *   STREAMBOX_PARTICIPANTS_PER_ROOM    room channel connections per room (default 100)
 *   STREAMBOX_PARTICIPANTS_PER_ADDRESS per room and client address (default 12)
 *   STREAMBOX_CURSOR_RATE              cursor messages relayed per participant and second (default 25;
 *                                      the room page sends at most 20)
 */
export interface ControlLimits {
  idleMs: number;
  warnMs: number;
  participantsPerRoom: number;
  participantsPerAddress: number;
  cursorsPerSecond: number;
  /** Other channel messages (control actions, renames) per participant and second. */
  messagesPerSecond: number;
  /** VNC tokens one participant may get per minute (each voids the one before). */
  vncTokensPerMinute: number;
}

export const DEFAULT_LIMITS: ControlLimits = {
  idleMs: 300_000,
  warnMs: 30_000,
  participantsPerRoom: 100,
  participantsPerAddress: 12,
  cursorsPerSecond: 25,
  messagesPerSecond: 5,
  vncTokensPerMinute: 10,
};

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, got '${text}'`);
  return n;
}

export function loadControlLimits(env: NodeJS.ProcessEnv): ControlLimits {
  const idleMs = whole(env, 'STREAMBOX_CONTROL_IDLE_SECONDS', DEFAULT_LIMITS.idleMs / 1000, 2) * 1000;
  const warnMs = Math.min(whole(env, 'STREAMBOX_CONTROL_WARN_SECONDS', DEFAULT_LIMITS.warnMs / 1000, 0) * 1000, idleMs / 2);
  return {
    ...DEFAULT_LIMITS,
    idleMs,
    warnMs,
    participantsPerRoom: whole(env, 'STREAMBOX_PARTICIPANTS_PER_ROOM', DEFAULT_LIMITS.participantsPerRoom, 1),
    participantsPerAddress: whole(env, 'STREAMBOX_PARTICIPANTS_PER_ADDRESS', DEFAULT_LIMITS.participantsPerAddress, 1),
    cursorsPerSecond: whole(env, 'STREAMBOX_CURSOR_RATE', DEFAULT_LIMITS.cursorsPerSecond, 1),
  };
}

/** A token bucket: `take()` is true while the rate allows. */
export class RateBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.at = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until take() would succeed. */
  waitMs(): number {
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}
