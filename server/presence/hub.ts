/**
 * The room channel: one WebSocket per participant (GET /api/rooms/:id/events?name=...).
 * It says who is here, who drives and who asked (state), relays pointers (cursor), carries control
 * actions to the arbiter, warns an idle driver, and tells everyone when the room changes.
 * When control moves, the previous holder's VNC session is closed here.
 *
 * Client -> server: { type: 'request' | 'cancel' | 'release' | 'take' | 'activity' }
 *                   { type: 'pass' | 'decline', to } { type: 'cursor', x, y } { type: 'rename', name }
 * Server -> client: { type: 'welcome', you: { id, key, name, isAdmin } }
 *                   { type: 'state', holder, requests, participants: [{ id, name, isAdmin }] }
 *                   { type: 'cursor', id, x, y } { type: 'idle-warning', msLeft }
 *                   { type: 'room', state } { type: 'error', code, message }
 */
import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { upgradeWebSocket } from '@hono/node-server';
import type { WSContext } from 'hono/ws';
import { z } from 'zod';
import { ControlArbiter, ControlError } from '../control/arbiter.js';
import type { RoomsService } from '../rooms/service.js';
import type { VncGateway } from '../vnc/gateway.js';
import type { VncTokens } from '../control/vncTokens.js';
import type { Logger } from '../log.js';
import { AppError } from '../errors.js';
import { isRoomId } from '../rooms/ids.js';
import { safeEqual } from '../auth/secrets.js';

const nameSchema = z.string().trim().min(1).max(40);
const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.enum(['request', 'cancel', 'release', 'take', 'activity']) }),
  z.object({ type: z.enum(['pass', 'decline']), to: z.string().max(64) }),
  z.object({ type: z.literal('cursor'), x: z.number().min(0).max(1), y: z.number().min(0).max(1) }),
  z.object({ type: z.literal('rename'), name: nameSchema }),
]);

interface Connection {
  roomId: string;
  id: string;
  key: string;
  ws: WSContext;
}

export interface HubDeps {
  arbiter: ControlArbiter;
  rooms: RoomsService;
  vnc: VncGateway;
  vncTokens: VncTokens;
  log: Logger;
  /** Does this request carry room access (password cookie) / an admin session? */
  access: (c: Parameters<MiddlewareHandler>[0], roomId: string) => { allowed: boolean; isAdmin: boolean };
}

export class PresenceHub {
  private readonly connections = new Map<string, Connection>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: HubDeps) {}

  /** Starts the idle clock and follows room changes. */
  start(tickMs = 1000): void {
    this.timer ??= setInterval(() => this.tick(), tickMs);
    this.timer.unref();
    this.unsubscribe ??= this.deps.rooms.onChange((roomId) => this.roomChangedSoon(roomId));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const t of this.pendingRooms.values()) clearTimeout(t);
    this.pendingRooms.clear();
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const c of this.connections.values()) c.ws.close(1001, 'server shutting down');
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

  tick(): void {
    for (const result of this.deps.arbiter.tick()) {
      if (result.kind === 'warn') this.send(result.holder, { type: 'idle-warning', msLeft: result.msLeft });
      else this.controlMoved(result.roomId, result.holder);
    }
  }

  handlers(): [MiddlewareHandler, MiddlewareHandler] {
    const authorize: MiddlewareHandler = async (c, next) => {
      const roomId = c.req.param('id') ?? '';
      if (!isRoomId(roomId)) throw new AppError(400, 'invalid_argument', 'id: is not a room ID', 'id');
      this.deps.rooms.get(roomId); // 404
      const name = nameSchema.safeParse(c.req.query('name') ?? '');
      if (!name.success) throw new AppError(400, 'invalid_argument', 'name: 1-40 characters are required', 'name');
      const access = this.deps.access(c, roomId);
      if (!access.allowed) throw new AppError(401, 'room_password_required', 'this room needs its password: join first');
      c.set('presence' as never, { name: name.data, isAdmin: access.isAdmin } as never);
      await next();
    };

    const upgrade = upgradeWebSocket((c) => {
      const roomId = c.req.param('id') ?? '';
      const { name, isAdmin } = c.get('presence' as never) as unknown as { name: string; isAdmin: boolean };
      const id = randomBytes(9).toString('base64url');
      const key = randomBytes(24).toString('base64url');
      return {
        onOpen: (_event, ws) => {
          this.connections.set(id, { roomId, id, key, ws });
          const before = this.deps.arbiter.holder(roomId);
          this.deps.arbiter.join(roomId, { id, name, isAdmin });
          ws.send(JSON.stringify({ type: 'welcome', you: { id, key, name, isAdmin } }));
          this.afterChange(roomId, before);
        },
        onMessage: (event) => this.onMessage(id, event.data),
        onClose: () => this.disconnect(id),
        onError: () => this.disconnect(id),
      };
    });
    return [authorize, upgrade];
  }

  private onMessage(id: string, raw: unknown): void {
    const conn = this.connections.get(id);
    if (!conn || typeof raw !== 'string' || raw.length > 2048) return;
    let parsed;
    try {
      parsed = messageSchema.safeParse(JSON.parse(raw));
    } catch {
      parsed = null;
    }
    if (!parsed?.success) return this.send(id, { type: 'error', code: 'invalid_message', message: 'message not understood' });
    const msg = parsed.data;
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
        case 'activity': arbiter.activity(roomId, id); break;
        case 'rename': changed = arbiter.rename(roomId, id, msg.name); break;
        case 'cursor':
          this.broadcast(roomId, { type: 'cursor', id, x: msg.x, y: msg.y }, id);
          if (arbiter.holder(roomId) === id) arbiter.activity(roomId, id);
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
    const before = this.deps.arbiter.holder(conn.roomId);
    if (this.deps.arbiter.leave(conn.roomId, id)) this.afterChange(conn.roomId, before);
  }

  /** Broadcast the new state; if the holder changed, the old holder's VNC session ends. */
  private afterChange(roomId: string, holderBefore: string | null): void {
    if (this.deps.arbiter.holder(roomId) !== holderBefore && holderBefore !== null) this.controlMoved(roomId, holderBefore);
    else this.broadcastState(roomId);
  }

  private controlMoved(roomId: string, from: string): void {
    const now = this.deps.arbiter.holder(roomId);
    this.deps.vncTokens.revokeRoom(roomId);
    const closed = this.deps.vnc.closeRoom(roomId, 'control moved to someone else', now);
    this.deps.log.info('control moved', { room: roomId, from, to: now, vncSessionsClosed: closed });
    this.broadcastState(roomId);
  }

  private broadcastState(roomId: string): void {
    const s = this.deps.arbiter.state(roomId);
    this.broadcast(roomId, {
      type: 'state',
      holder: s.holder,
      requests: s.requests,
      participants: s.participants.map((p) => ({ id: p.id, name: p.name, isAdmin: p.isAdmin })),
    });
  }

  /**
   * systemd sends a burst of PropertiesChanged while a room starts or stops; tell participants
   * once the burst settles rather than asking systemd for the room's status on every signal.
   */
  private readonly pendingRooms = new Map<string | null, NodeJS.Timeout>();
  private roomChangedSoon(roomId: string | null): void {
    if (this.pendingRooms.has(roomId)) return;
    const timer = setTimeout(() => {
      this.pendingRooms.delete(roomId);
      void this.roomChanged(roomId);
    }, 200);
    timer.unref();
    this.pendingRooms.set(roomId, timer);
  }

  private async roomChanged(roomId: string | null): Promise<void> {
    const ids = roomId ? [roomId] : [...new Set([...this.connections.values()].map((c) => c.roomId))];
    for (const id of ids) {
      if (![...this.connections.values()].some((c) => c.roomId === id)) continue;
      let state: string;
      try {
        state = (await this.deps.rooms.status(this.deps.rooms.get(id))).state;
      } catch {
        state = 'deleted';
      }
      this.broadcast(id, { type: 'room', state });
      if (state === 'deleted') for (const c of this.connections.values()) if (c.roomId === id) c.ws.close(4004, 'room deleted');
    }
  }

  private send(id: string, msg: object): void {
    const c = this.connections.get(id);
    if (c && c.ws.readyState === 1) c.ws.send(JSON.stringify(msg));
  }

  private broadcast(roomId: string, msg: object, except?: string): void {
    const text = JSON.stringify(msg);
    for (const c of this.connections.values()) if (c.roomId === roomId && c.id !== except && c.ws.readyState === 1) c.ws.send(text);
  }
}
