/**
 * Who drives a room: pure state, no sockets, no timers of its own (the caller calls tick()).
 *
 * Rules (after neko's "host" model):
 * - One holder at a time. The first participant in a room with no holder gets control unasked.
 * - Others request; the holder passes it to a requester (or anyone) or declines the request.
 * - The holder may release it; leaving or disconnecting releases it. Released control goes to the
 *   oldest pending request, else nobody holds it and the next request gets it at once.
 * - An idle holder is warned, then loses control.
 * - The admin can take control at any time.
 * - After a restart of the service, the driver's seat is kept for them for a grace period
 *   (reserve()): others who come back first wait; the driver rejoining gets it back.
 * Every method returns whether anything changed, so the caller knows when to broadcast. A change
 * of holder is also an event (events.ts), whichever method caused it: the VNC gateway and the room
 * channel follow those, not the caller.
 */
import type { ControlPolicy, Requester } from './policy.js';
import { ControlEvents, type ControlChanges, type ControlListener } from './events.js';

export interface Participant {
  id: string;
  name: string;
  isAdmin: boolean;
  joinedAt: number;
}

export interface RoomControlState {
  holder: string | null;
  /** Participant IDs asking for control, oldest first. */
  requests: string[];
  participants: Participant[];
  /** When the holder was last active (input), for the idle rule. */
  holderActiveAt: number | null;
  /** Set while the holder has been warned that control is about to go. */
  idleWarningSentAt: number | null;
}

export interface ArbiterOptions {
  /** Control goes after this long without input from the holder. */
  idleMs: number;
  /** The holder is warned this long before. */
  warnMs: number;
}

export class ControlError extends Error {
  constructor(
    readonly code: 'not_in_room' | 'not_holder' | 'not_admin' | 'unknown_participant',
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export type TickResult = { roomId: string; kind: 'warn'; holder: string; msLeft: number } | { roomId: string; kind: 'revoked'; holder: string };

export class ControlArbiter implements ControlPolicy, ControlChanges {
  private readonly rooms = new Map<string, RoomControlState>();
  private readonly events = new ControlEvents();
  /** Seats kept for a driver expected back (reserve()), until a time. */
  private readonly reserved = new Map<string, { id: string; until: number }>();

  constructor(
    private readonly now: () => number,
    private readonly opts: ArbiterOptions = { idleMs: 5 * 60_000, warnMs: 30_000 },
  ) {}

  onControlChange(listener: ControlListener): () => void {
    return this.events.onControlChange(listener);
  }

  mayDrive(roomId: string, who: Requester): boolean {
    const state = this.rooms.get(roomId);
    return !!state && who.participantId !== null && state.holder === who.participantId;
  }

  state(roomId: string): RoomControlState {
    const state = this.rooms.get(roomId);
    if (!state) return { holder: null, requests: [], participants: [], holderActiveAt: null, idleWarningSentAt: null };
    return { ...state, requests: [...state.requests], participants: [...state.participants] };
  }

  holder(roomId: string): string | null {
    return this.rooms.get(roomId)?.holder ?? null;
  }

  join(roomId: string, participant: Omit<Participant, 'joinedAt'>): boolean {
    const state = this.room(roomId);
    if (state.participants.some((p) => p.id === participant.id)) return false;
    state.participants.push({ ...participant, joinedAt: this.now() });
    const seat = this.seat(roomId);
    if (seat === participant.id) {
      this.reserved.delete(roomId);
      if (state.holder === null) this.give(roomId, state, participant.id);
    } else if (seat === null && state.holder === null && state.participants.length === 1) {
      this.give(roomId, state, participant.id);
    }
    return true;
  }

  /** The room's driver before a restart, expected back until `until`: nobody else gets control unasked or by asking meanwhile. */
  reserve(roomId: string, participantId: string, until: number): void {
    this.reserved.set(roomId, { id: participantId, until });
  }

  rename(roomId: string, participantId: string, name: string): boolean {
    const p = this.member(roomId, participantId);
    if (p.name === name) return false;
    p.name = name;
    return true;
  }

  leave(roomId: string, participantId: string): boolean {
    const state = this.rooms.get(roomId);
    if (!state || !state.participants.some((p) => p.id === participantId)) return false;
    state.participants = state.participants.filter((p) => p.id !== participantId);
    state.requests = state.requests.filter((id) => id !== participantId);
    if (state.participants.length === 0) this.rooms.delete(roomId);
    if (state.holder === participantId) this.handOn(roomId, state);
    return true;
  }

  request(roomId: string, participantId: string): boolean {
    const state = this.room(roomId);
    this.member(roomId, participantId);
    if (state.holder === participantId || state.requests.includes(participantId)) return false;
    if (state.holder === null && this.seat(roomId) === null) this.give(roomId, state, participantId);
    else state.requests.push(participantId);
    return true;
  }

  /** The requester withdraws. */
  cancelRequest(roomId: string, participantId: string): boolean {
    const state = this.room(roomId);
    const before = state.requests.length;
    state.requests = state.requests.filter((id) => id !== participantId);
    return state.requests.length !== before;
  }

  pass(roomId: string, holderId: string, toId: string): boolean {
    const state = this.holderState(roomId, holderId);
    this.member(roomId, toId);
    if (toId === holderId) return false;
    this.give(roomId, state, toId);
    return true;
  }

  decline(roomId: string, holderId: string, requesterId: string): boolean {
    const state = this.holderState(roomId, holderId);
    const before = state.requests.length;
    state.requests = state.requests.filter((id) => id !== requesterId);
    return state.requests.length !== before;
  }

  release(roomId: string, holderId: string): boolean {
    const state = this.holderState(roomId, holderId);
    this.handOn(roomId, state);
    return true;
  }

  /** The admin takes control, whoever holds it. */
  take(roomId: string, adminId: string): boolean {
    const p = this.member(roomId, adminId);
    if (!p.isAdmin) throw new ControlError('not_admin', 'only the admin can take control');
    const state = this.room(roomId);
    this.reserved.delete(roomId);
    if (state.holder === adminId) return false;
    this.give(roomId, state, adminId);
    return true;
  }

  /** Input from the holder: resets the idle clock. Returns true if a pending warning was lifted. */
  activity(roomId: string, participantId: string): boolean {
    const state = this.rooms.get(roomId);
    if (!state || state.holder !== participantId) return false;
    state.holderActiveAt = this.now();
    const warned = state.idleWarningSentAt !== null;
    state.idleWarningSentAt = null;
    return warned;
  }

  /** Applies the idle rule to every room; returns the warnings to send and the revocations made. */
  tick(): TickResult[] {
    const out: TickResult[] = [];
    const now = this.now();
    this.expireSeats(now);
    for (const [roomId, state] of this.rooms) {
      if (state.holder === null || state.holderActiveAt === null) continue;
      const idle = now - state.holderActiveAt;
      if (idle >= this.opts.idleMs) {
        const holder = state.holder;
        out.push({ roomId, kind: 'revoked', holder });
        this.handOn(roomId, state, holder);
      } else if (idle >= this.opts.idleMs - this.opts.warnMs && state.idleWarningSentAt === null) {
        state.idleWarningSentAt = now;
        out.push({ roomId, kind: 'warn', holder: state.holder, msLeft: this.opts.idleMs - idle });
      }
    }
    return out;
  }

  /** The participant a seat is kept for, while it is kept. */
  private seat(roomId: string): string | null {
    const r = this.reserved.get(roomId);
    return r && r.until > this.now() ? r.id : null;
  }

  /** A driver who did not come back in time: control goes on as if they had left. */
  private expireSeats(now: number): void {
    for (const [roomId, r] of this.reserved) {
      if (r.until > now) continue;
      this.reserved.delete(roomId);
      const state = this.rooms.get(roomId);
      if (!state || state.holder !== null) continue;
      if (state.requests.length > 0) this.handOn(roomId, state);
      else if (state.participants.length === 1) this.give(roomId, state, state.participants[0]!.id);
    }
  }

  private give(roomId: string, state: RoomControlState, participantId: string): void {
    const from = state.holder;
    state.holder = participantId;
    state.requests = state.requests.filter((id) => id !== participantId);
    state.holderActiveAt = this.now();
    state.idleWarningSentAt = null;
    if (from !== participantId) this.events.emit({ roomId, from, to: participantId });
  }

  /** Control leaves the holder: to the oldest request (other than `skip`), else to nobody. */
  private handOn(roomId: string, state: RoomControlState, skip?: string): void {
    const next = state.requests.find((id) => id !== skip && state.participants.some((p) => p.id === id));
    if (next) return this.give(roomId, state, next);
    const from = state.holder;
    state.holder = null;
    state.holderActiveAt = null;
    state.idleWarningSentAt = null;
    if (from !== null) this.events.emit({ roomId, from, to: null });
  }

  private room(roomId: string): RoomControlState {
    let state = this.rooms.get(roomId);
    if (!state) {
      state = { holder: null, requests: [], participants: [], holderActiveAt: null, idleWarningSentAt: null };
      this.rooms.set(roomId, state);
    }
    return state;
  }

  private member(roomId: string, participantId: string): Participant {
    const p = this.rooms.get(roomId)?.participants.find((x) => x.id === participantId);
    if (!p) throw new ControlError('unknown_participant', `participant ${participantId} is not in this room`);
    return p;
  }

  private holderState(roomId: string, holderId: string): RoomControlState {
    const state = this.room(roomId);
    if (state.holder !== holderId) throw new ControlError('not_holder', 'only the participant in control can do that');
    return state;
  }
}
