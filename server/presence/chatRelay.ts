/**
 * The chat on the room channel: the hub (hub.ts) hands it the chat messages a page sent and tells
 * it who joined, who left and where control moved; it keeps the log (chat.ts) and answers through
 * the hub's send/broadcast. A joiner gets the history right after its welcome. Who may clear: the
 * admin and the current driver. Reactions (a fixed set) are relayed, never kept; over their rate
 * they are dropped without a word. A deleted room's chat is forgotten (it follows the rooms'
 * changes itself, since a room is often deleted with nobody in it).
 */
import { z } from 'zod';
import type { ControlArbiter } from '../control/arbiter.js';
import type { ControlChange } from '../control/events.js';
import { RateBucket } from '../control/limits.js';
import type { RoomsService } from '../rooms/service.js';
import { ChatLog, type ChatLimits } from './chat.js';
import { REACTIONS, type ChatClientMessage } from '../../protocol/chat.js';
import { CLIENT_MESSAGE_MAX_CHARS, type ServerMessage } from '../../protocol/roomChannel.js';

/** Reactions per participant: a burst of 4, then one a second. */
const REACTION_BURST = 4;
const REACTIONS_PER_SECOND = 1;

/** The chat's client messages, for the hub's message schema. */
export const chatMessageSchemas = [
  // Checked further by the log (length, characters), so that the refusal can say what was wrong.
  z.object({ type: z.literal('chat'), text: z.string().max(CLIENT_MESSAGE_MAX_CHARS) }),
  z.object({ type: z.literal('chat-clear') }),
  z.object({ type: z.literal('react'), emoji: z.enum(REACTIONS) }),
] as const;

export const isChatMessage = (msg: { type: string }): msg is ChatClientMessage => msg.type === 'chat' || msg.type === 'chat-clear' || msg.type === 'react';

export interface ChatRelayDeps {
  arbiter: Pick<ControlArbiter, 'state' | 'holder'>;
  rooms: Pick<RoomsService, 'get' | 'onChange'>;
  send(id: string, msg: ServerMessage): void;
  broadcast(roomId: string, msg: ServerMessage): void;
  limits?: ChatLimits;
  now?: () => number;
}

export class ChatRelay {
  readonly log: ChatLog;
  private readonly reactionRates = new Map<string, RateBucket>();
  private unsubscribe: (() => void) | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: ChatRelayDeps) {
    this.now = deps.now ?? Date.now;
    this.log = new ChatLog(deps.limits, this.now);
  }

  start(): void {
    this.unsubscribe ??= this.deps.rooms.onChange((roomId) => this.pruneDeleted(roomId));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** After the welcome: the history to the joiner, then the notice to everyone (the joiner too). */
  joined(roomId: string, who: { id: string; name: string }): void {
    this.deps.send(who.id, { type: 'chat-history', entries: this.log.history(roomId) });
    this.deps.broadcast(roomId, { type: 'chat', entry: this.log.notice(roomId, { kind: 'joined', from: who.id, name: who.name }) });
  }

  /** Before the arbiter forgets them (their name is read from it). */
  left(roomId: string, id: string): void {
    const name = this.nameOf(roomId, id);
    this.log.forgetParticipant(id);
    this.reactionRates.delete(id);
    if (name !== null) this.deps.broadcast(roomId, { type: 'chat', entry: this.log.notice(roomId, { kind: 'left', from: id, name }) });
  }

  controlChanged({ roomId, to }: ControlChange): void {
    this.deps.broadcast(roomId, { type: 'chat', entry: this.log.notice(roomId, { kind: 'control', from: to, name: to === null ? null : this.nameOf(roomId, to) }) });
  }

  handle(roomId: string, from: { id: string; isAdmin: boolean }, msg: ChatClientMessage): void {
    const who = { id: from.id, name: this.nameOf(roomId, from.id) ?? 'someone' };
    if (msg.type === 'react') {
      if (this.reactionBucket(from.id).take()) this.deps.broadcast(roomId, { type: 'reaction', from: from.id, name: who.name, emoji: msg.emoji });
      return;
    }
    const result = msg.type === 'chat' ? this.log.post(roomId, who, msg.text) : this.log.clear(roomId, who, from.isAdmin || this.deps.arbiter.holder(roomId) === from.id);
    if ('refusal' in result) return this.deps.send(from.id, { type: 'error', ...result.refusal, about: 'chat' });
    this.deps.broadcast(roomId, msg.type === 'chat' ? { type: 'chat', entry: result.entry } : { type: 'chat-cleared', entry: result.entry });
  }

  private nameOf(roomId: string, id: string): string | null {
    return this.deps.arbiter.state(roomId).participants.find((p) => p.id === id)?.name ?? null;
  }

  private reactionBucket(id: string): RateBucket {
    let bucket = this.reactionRates.get(id);
    if (!bucket) this.reactionRates.set(id, (bucket = new RateBucket(REACTIONS_PER_SECOND, REACTION_BURST, this.now)));
    return bucket;
  }

  private pruneDeleted(roomId: string | null): void {
    for (const id of roomId === null ? this.log.roomIds() : [roomId]) {
      try {
        this.deps.rooms.get(id);
      } catch {
        this.log.forgetRoom(id);
      }
    }
  }
}
