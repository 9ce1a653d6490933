/**
 * The room channel's caps (control/limits.ts), apart from the hub: who may join (participants per
 * room and per client address in the room; the admin is never refused) and each connection's
 * message rates (cursors, other messages), as token buckets.
 */
import { DEFAULT_LIMITS, RateBucket, type ControlLimits } from '../control/limits.js';

export interface Counted {
  roomId: string;
  address: string;
  isAdmin: boolean;
}

export class ConnectionRates {
  private readonly cursors: RateBucket;
  private readonly messages: RateBucket;
  private warnedAt = -Infinity;

  constructor(limits: ControlLimits, private readonly now: () => number) {
    this.cursors = new RateBucket(limits.cursorsPerSecond, limits.cursorsPerSecond, now);
    this.messages = new RateBucket(limits.messagesPerSecond, limits.messagesPerSecond * 2, now);
  }

  /** May this message go on? `warn` is true when the sender should be told (at most once a second). */
  take(type: string): { ok: boolean; warn: boolean } {
    if ((type === 'cursor' ? this.cursors : this.messages).take()) return { ok: true, warn: false };
    if (type === 'cursor' || this.now() - this.warnedAt < 1000) return { ok: false, warn: false };
    this.warnedAt = this.now();
    return { ok: false, warn: true };
  }
}

export class ParticipantCaps {
  constructor(
    readonly limits: ControlLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why a new participant may not join (the close reason), or null. */
  refusal(existing: Iterable<Counted>, joining: Counted): string | null {
    if (joining.isAdmin) return null;
    let inRoom = 0;
    let fromAddress = 0;
    for (const c of existing) {
      if (c.roomId !== joining.roomId) continue;
      inRoom++;
      if (c.address === joining.address && !c.isAdmin) fromAddress++;
    }
    if (inRoom >= this.limits.participantsPerRoom) return `this room is full (${this.limits.participantsPerRoom} participants)`;
    if (fromAddress >= this.limits.participantsPerAddress) return `too many participants from your address (${this.limits.participantsPerAddress})`;
    return null;
  }

  rates(): ConnectionRates {
    return new ConnectionRates(this.limits, this.now);
  }
}
