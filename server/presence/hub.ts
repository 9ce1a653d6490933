/**
 * The room channel: one WebSocket per participant (GET /api/rooms/:id/events?name=...).
 * It says who is here, who drives and who asked (state), relays pointers (cursor), carries control
 * actions to the arbiter, warns an idle driver, and tells everyone when the room changes.
 * It follows the arbiter's control changes (control/events.ts) like the VNC gateway does, which
 * closes the previous holder's session on its own: the channel never calls into the gateway.
 * The route's guard (http/roomSocket.ts) has checked the room, the Origin and access before.
 *
 * Caps (control/limits.ts): participants per room and per client address in a room (a connection
 * over the cap is closed with 4029 and a reason the page shows), cursor messages per second (the
 * rest are dropped), other messages per second. The idle rule counts input the VNC gateway
 * forwarded (wired in context.ts), never what the page says: `activity` is accepted and ignored
 * (older pages send it).
 *
 * The chat rides on it too (chatRelay.ts: history for joiners, notices, clear, reactions), and in a
 * room whose clipboard is 'everyone', what the session copies (clipboardRelay.ts).
 * The messages (both directions) and close codes are protocol/roomChannel.ts and
 * protocol/closeCodes.ts (4004 room deleted, 4029 over a cap: the reason says which); what a page
 * sends is checked against a schema of the same shape (clientMessages.ts) before anything reads it;
 * room changes reach the participants through roomNews.ts.
 */
import type { MiddlewareHandler } from 'hono';
import { upgradeWebSocket } from '@hono/node-server';
import type { WSContext } from 'hono/ws';
import { ControlArbiter, ControlError } from '../control/arbiter.js';
import type { RoomsService } from '../rooms/service.js';
import type { VncTokens } from '../control/vncTokens.js';
import type { Logger } from '../log.js';
import { AppError } from '../errors.js';
import { safeEqual } from '../auth/secrets.js';
import type { AppEnv } from '../http/env.js';
import type { ControlLimits } from '../control/limits.js';
import { ParticipantCaps, type ConnectionRates } from './caps.js';
import { ChatRelay, isChatMessage } from './chatRelay.js';
import { messageSchema, nameSchema } from './clientMessages.js';
import { RoomNews } from './roomNews.js';
import { ClipboardRelay } from './clipboardRelay.js';
import { newIdentity, type Rejoins } from './rejoins.js';
import { CLOSE_OVER_CAP, CLOSE_ROOM_DELETED } from '../../protocol/closeCodes.js';
import { CLIENT_MESSAGE_MAX_CHARS, NAME_MAX_CHARS, encodeMessage, type ServerMessage } from '../../protocol/roomChannel.js';

/** Participant-list changes are batched this long. */
const STATE_BATCH_MS = 100;

interface Connection {
  roomId: string;
  id: string;
  key: string;
  ws: WSContext;
  address: string;
  isAdmin: boolean;
  rates: ConnectionRates;
}

export interface HubDeps {
  arbiter: ControlArbiter;
  rooms: RoomsService;
  vncTokens: VncTokens;
  log: Logger;
  limits?: ControlLimits;
  now?: () => number;
  /** What a joiner is told after welcome besides the state (the recording indicator). */
  joinMessages?: (roomId: string) => ServerMessage[];
  /** Told how many are on a room's channel whenever someone comes or goes (the idle stop). */
  onOccupancy?: (roomId: string, count: number) => void;
  /** Hears a room's session clipboard until the returned stop (vnc/clipboardWatch.ts, wired in context.ts). */
  watchClipboard?: (roomId: string) => () => void;
  /** Pages coming back as who they were (rejoins.ts); without it every connection is someone new. */
  rejoins?: Rejoins;
}

export class PresenceHub {
  private readonly connections = new Map<string, Connection>();
  /** The room-access grant each participant came in with (null: open room, or the admin). */
  private readonly grantOf = new Map<string, string | null>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private unsubscribeControl: (() => void) | null = null;
  private readonly caps: ParticipantCaps;
  readonly chat: ChatRelay; // chatRelay.ts: answers through this hub's send and broadcast
  readonly clipboard: ClipboardRelay; // clipboardRelay.ts: copies to everyone, for 'everyone' rooms
  private readonly news: RoomNews;

  constructor(private readonly deps: HubDeps) {
    this.caps = new ParticipantCaps(deps.limits, deps.now);
    this.news = new RoomNews({
      rooms: deps.rooms,
      occupied: () => [...new Set([...this.connections.values()].map((c) => c.roomId))],
      broadcast: (r, m) => this.broadcast(r, m),
      closeRoom: (r) => {
        for (const c of this.connections.values()) if (c.roomId === r) c.ws.close(CLOSE_ROOM_DELETED, 'room deleted');
      },
    });
    this.clipboard = new ClipboardRelay({ rooms: deps.rooms, watch: deps.watchClipboard ?? (() => () => {}), broadcast: (r, m) => this.broadcast(r, m) });
    this.chat = new ChatRelay({ arbiter: deps.arbiter, rooms: deps.rooms, send: (id, m) => this.send(id, m), broadcast: (r, m) => this.broadcast(r, m), ...(deps.now ? { now: deps.now } : {}) });
  }

  /** Starts the idle clock and follows room changes and control changes. */
  start(tickMs = 1000): void {
    this.timer ??= setInterval(() => this.tick(), tickMs);
    this.timer.unref();
    this.unsubscribe ??= this.deps.rooms.onChange((roomId) => this.news.soon(roomId));
    // Whatever moved control (an action here, a leave, the idle rule), everyone hears at once.
    this.unsubscribeControl ??= this.deps.arbiter.onControlChange((change) => {
      this.broadcastState(change.roomId);
      this.chat.controlChanged(change);
    });
    this.chat.start();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.news.stop();
    for (const t of this.pendingState.values()) clearTimeout(t);
    this.pendingState.clear();
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unsubscribeControl?.();
    this.unsubscribeControl = null;
    this.chat.stop();
    this.clipboard.stop();
    this.deps.rejoins?.freeze(); // these closes are no leaves: the pages come back (rejoins.ts)
    for (const c of this.connections.values()) c.ws.close(1001, 'server shutting down');
  }

  /**
   * Closes the channels of the room's participants that match (a kick, revoked grants) with
   * `code`; returns who they were. Their departure is handled as any other (control moves).
   */
  closeWhere(roomId: string, match: (p: { id: string; grant: string | null; isAdmin: boolean }) => boolean, code: number, reason: string): Array<{ id: string; grant: string | null }> {
    const closed: Array<{ id: string; grant: string | null }> = [];
    for (const c of this.connections.values()) {
      if (c.roomId !== roomId) continue;
      const p = { id: c.id, grant: this.grantOf.get(c.id) ?? null, isAdmin: this.deps.arbiter.state(roomId).participants.some((q) => q.id === c.id && q.isAdmin) };
      if (!match(p)) continue;
      closed.push({ id: p.id, grant: p.grant });
      c.ws.close(code, reason);
    }
    for (const p of closed) this.disconnect(p.id); // at once: nothing it sends from now on counts
    return closed;
  }

  /** Is this the participant it claims to be? (Used by GetVncToken.) */
  verify(roomId: string, participantId: string, key: string): boolean {
    const c = this.connections.get(participantId);
    return !!c && c.roomId === roomId && safeEqual(c.key, key);
  }

  /** Counts for the dashboard. */
  summary(roomId: string): { participants: number; holder: string | null } {
    const state = this.deps.arbiter.state(roomId);
    const holder = state.participants.find((p) => p.id === state.holder);
    return { participants: state.participants.length, holder: holder?.name ?? null };
  }

  /** The idle rule: warnings go out here; a revocation is a control change (see start()). */
  tick(): void {
    for (const result of this.deps.arbiter.tick()) {
      if (result.kind === 'warn') this.send(result.holder, { type: 'idle-warning', msLeft: result.msLeft });
    }
  }

  /** Hono handlers for GET /api/rooms/:id/events, behind http/roomSocket.ts's guard. */
  handlers(): [MiddlewareHandler<AppEnv>, MiddlewareHandler<AppEnv>] {
    const checkName: MiddlewareHandler<AppEnv> = async (c, next) => {
      const name = nameSchema.safeParse(c.req.query('name') ?? '');
      if (!name.success) throw new AppError(400, 'invalid_argument', `name: 1-${NAME_MAX_CHARS} characters are required`, 'name');
      c.set('participantName', name.data);
      await next();
    };

    const upgrade: MiddlewareHandler<AppEnv> = (c) => {
      const { room, isAdmin, grant, address } = c.get('roomSocket');
      const roomId = room.id;
      const name = c.get('participantName');
      const resume = c.req.query('resume');
      let id: string | null = null; // known once open: a resumed identity is checked then, with the others
      return upgradeWebSocket(c, {
        onOpen: (_event, ws) => {
          // Counted here, not before the upgrade, so that concurrent upgrades cannot all pass.
          const refusal = this.caps.refusal(this.connections.values(), { roomId, address, isAdmin });
          if (refusal) return ws.close(CLOSE_OVER_CAP, refusal);
          const who = this.deps.rejoins?.identityFor(roomId, resume, (pid) => this.connections.has(pid)) ?? newIdentity();
          id = who.id;
          const key = who.key;
          this.connections.set(id, { roomId, id, key, ws, address, isAdmin, rates: this.caps.rates() });
          this.deps.rejoins?.joined(roomId, { id, key, isAdmin });
          this.grantOf.set(id, grant);
          this.occupancyChanged(roomId);
          this.clipboard.joined(roomId);
          // Welcome first: joining may hand this participant control, and that state follows it.
          ws.send(encodeMessage({ type: 'welcome', you: { id, key, name, isAdmin } }));
          for (const msg of this.deps.joinMessages?.(roomId) ?? []) ws.send(encodeMessage(msg));
          this.chat.joined(roomId, { id, name }); // the history, then "joined" (before control may move to them)
          const before = this.deps.arbiter.holder(roomId);
          this.deps.arbiter.join(roomId, { id, name, isAdmin });
          this.afterChange(roomId, before, true);
        },
        onMessage: (event) => id !== null && this.onMessage(id, event.data),
        onClose: () => id !== null && this.disconnect(id),
        onError: () => id !== null && this.disconnect(id),
      });
    };
    return [checkName, upgrade];
  }

  private onMessage(id: string, raw: unknown): void {
    const conn = this.connections.get(id);
    if (!conn || typeof raw !== 'string' || raw.length > CLIENT_MESSAGE_MAX_CHARS) return;
    let parsed;
    try {
      parsed = messageSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) return this.send(id, { type: 'error', code: 'invalid_message', message: 'message not understood' });
    const msg = parsed.data;
    if (msg.type === 'activity') return; // the idle rule counts input the VNC gateway saw instead
    const rate = conn.rates.take(msg.type); // cursors, then everything else: the excess is dropped
    if (rate.warn) this.send(id, { type: 'error', code: 'rate_limited', message: 'too many actions at once; slow down' });
    if (!rate.ok) return;
    if (isChatMessage(msg)) return this.chat.handle(conn.roomId, { id, isAdmin: conn.isAdmin }, msg);
    const { arbiter } = this.deps;
    const roomId = conn.roomId;
    const before = arbiter.holder(roomId);
    try {
      let changed = false;
      switch (msg.type) {
        case 'request': changed = arbiter.request(roomId, id); break;
        case 'cancel': changed = arbiter.cancelRequest(roomId, id); break;
        case 'release': changed = arbiter.release(roomId, id); break;
        case 'take': changed = arbiter.take(roomId, id); break;
        case 'pass': changed = arbiter.pass(roomId, id, msg.to); break;
        case 'decline': changed = arbiter.decline(roomId, id, msg.to); break;
        case 'rename': changed = arbiter.rename(roomId, id, msg.name); break;
        case 'cursor':
          this.broadcast(roomId, { type: 'cursor', id, x: msg.x, y: msg.y }, id);
          break;
      }
      if (changed) this.afterChange(roomId, before);
    } catch (err) {
      if (err instanceof ControlError) this.send(id, { type: 'error', code: err.code, message: err.message });
      else throw err;
    }
  }

  private disconnect(id: string): void {
    const conn = this.connections.get(id);
    if (!conn) return;
    this.connections.delete(id);
    this.grantOf.delete(id);
    this.deps.rejoins?.left(conn.roomId, id);
    this.occupancyChanged(conn.roomId);
    this.deps.vncTokens.forget({ roomId: conn.roomId, participantId: id, isAdmin: conn.isAdmin });
    this.chat.left(conn.roomId, id);
    this.clipboard.left(conn.roomId);
    const before = this.deps.arbiter.holder(conn.roomId);
    if (this.deps.arbiter.leave(conn.roomId, id)) this.afterChange(conn.roomId, before, true);
  }

  /**
   * Broadcast the new state, unless the holder changed: that was a control change, and everyone
   * heard of it already (start()). Joins and leaves only change the list: those are sent once per
   * STATE_BATCH_MS, so a burst of n joins costs about n messages per participant's worth, not n²
   * (review #11).
   */
  private afterChange(roomId: string, holderBefore: string | null, listOnly = false): void {
    if (this.deps.arbiter.holder(roomId) !== holderBefore) return;
    if (listOnly) this.broadcastStateSoon(roomId);
    else this.broadcastState(roomId);
  }

  private readonly pendingState = new Map<string, NodeJS.Timeout>();
  private broadcastStateSoon(roomId: string): void {
    if (this.pendingState.has(roomId)) return;
    const timer = setTimeout(() => this.broadcastState(roomId), STATE_BATCH_MS);
    timer.unref();
    this.pendingState.set(roomId, timer);
  }

  private broadcastState(roomId: string): void {
    clearTimeout(this.pendingState.get(roomId));
    this.pendingState.delete(roomId);
    const s = this.deps.arbiter.state(roomId);
    this.broadcast(roomId, {
      type: 'state',
      holder: s.holder,
      requests: s.requests,
      participants: s.participants.map((p) => ({ id: p.id, name: p.name, isAdmin: p.isAdmin })),
    });
  }

  private occupancyChanged(roomId: string): void {
    this.deps.onOccupancy?.(roomId, [...this.connections.values()].filter((c) => c.roomId === roomId).length);
  }

  private send(id: string, msg: ServerMessage): void {
    const c = this.connections.get(id);
    if (c && c.ws.readyState === 1) c.ws.send(encodeMessage(msg));
  }

  /** Tells everyone in the room (news from another part: the recording indicator). */
  announce(roomId: string, msg: ServerMessage): void {
    this.broadcast(roomId, msg);
  }

  private broadcast(roomId: string, msg: ServerMessage, except?: string): void {
    const text = encodeMessage(msg);
    for (const c of this.connections.values()) if (c.roomId === roomId && c.id !== except && c.ws.readyState === 1) c.ws.send(text);
  }
}
