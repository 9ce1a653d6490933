/**
 * The VNC WebSocket, served by the admin service itself: GET /api/rooms/:id/vnc?token=...
 * The token (single use, from GetVncToken) is checked before the upgrade; then the gateway opens an
 * authenticated RFB connection to the room's x11vnc where the runtime says it listens (a unix
 * socket on the appliance, the room Pod's IP and port on Kubernetes), past ServerInit, and the
 * session (session.ts) filters what the browser sends. It keeps every open session by room, and
 * follows the arbiter's control changes (control/events.ts): when control moves, the old holder's
 * session closes and the room's unused tokens go. One session per holder. Input it forwards is
 * what counts as the holder being active (onInput). The route's guard (http/roomSocket.ts) has
 * checked the room and the Origin; the token is the access. The room's clipboard setting
 * (rooms/clipboard.ts) decides, per session, whether pastes go in and copies come out; every paste
 * is told to onPaste's listeners (clipboardWatch.ts, which hears the room for 'everyone', skips its
 * echo).
 */
import type { MiddlewareHandler } from 'hono';
import { upgradeWebSocket } from '@hono/node-server';
import type { WebSocket } from 'ws';
import type { Logger } from '../log.js';
import type { InputEndpoint, RoomRuntime } from '../runtime/types.js';
import { holderKey, type TokenHolder, type VncTokens } from '../control/vncTokens.js';
import type { ControlPolicy } from '../control/policy.js';
import type { ControlChange, ControlChanges } from '../control/events.js';
import type { AppEnv, VncUpstream } from '../http/env.js';
import { AppError } from '../errors.js';
import { openAuthenticated, serverInitMessage } from './rfb.js';
import { VncSession } from './session.js';
import { CLOSE, DEFAULT_FILTER } from './filter.js';
import { clipboardMode } from '../rooms/clipboard.js';
import { wsBrowserSide } from './wsSide.js';

interface OpenSession {
  holder: TokenHolder;
  session: VncSession;
}

export interface GatewayDeps {
  /** Where each room's x11vnc listens. */
  runtime: Pick<RoomRuntime, 'inputEndpoint'>;
  log: Logger;
  vncTokens: VncTokens;
  /** Who may drive (the arbiter, or a test's policy). */
  control: ControlPolicy;
  /** Where control changes come from (the arbiter). */
  controlChanges: ControlChanges;
}

export class VncGateway {
  private readonly sessions = new Map<string, Set<OpenSession>>();
  /** Holder key -> its session, or 'pending' between the token check and the socket opening. */
  private readonly byHolder = new Map<string, OpenSession | 'pending'>();
  private readonly inputListeners = new Set<(roomId: string, participantId: string | null) => void>();
  private readonly pasteListeners = new Set<(roomId: string, text: Buffer) => void>();

  constructor(private readonly ctx: GatewayDeps) {
    // For the life of the service, as the arbiter's.
    ctx.controlChanges.onControlChange((change) => this.controlChanged(change));
  }

  /** Called for every key or pointer input a session forwards to the room. */
  onInput(listener: (roomId: string, participantId: string | null) => void): () => void {
    this.inputListeners.add(listener);
    return () => this.inputListeners.delete(listener);
  }

  /** Called for every text a driver pastes into the room (only when its clipboard is not 'off'). */
  onPaste(listener: (roomId: string, text: Buffer) => void): () => void {
    this.pasteListeners.add(listener);
    return () => this.pasteListeners.delete(listener);
  }

  /** A token for the holder, refused while it has a session open (one each) or asks too often. */
  issueToken(holder: TokenHolder): { token: string; expiresAt: Date } {
    if (this.byHolder.has(holderKey(holder))) throw new AppError(409, 'vnc_session_open', 'you already have a VNC session open in this room; close it first');
    const issued = this.ctx.vncTokens.issue(holder);
    if (!issued) {
      const seconds = Math.max(1, Math.ceil(this.ctx.vncTokens.waitMs(holder) / 1000));
      throw Object.assign(new AppError(429, 'too_many_requests', `too many VNC tokens asked for; try again in ${seconds} s`), { retryAfterSeconds: seconds });
    }
    return issued;
  }

  /** Closes the room's sessions, except those of `keep` (a participant ID); returns how many. */
  closeRoom(roomId: string, reason: string, keep?: string | null): number {
    let closed = 0;
    for (const open of [...(this.sessions.get(roomId) ?? [])]) {
      if (keep !== undefined && keep !== null && open.holder.participantId === keep) continue;
      open.session.end(CLOSE.controlMoved, reason);
      closed++;
    }
    return closed;
  }

  /** Control left someone: their session ends, and every unused token of the room is void. */
  private controlChanged({ roomId, from, to }: ControlChange): void {
    if (from === null) return; // nobody held it: no session, no token
    this.ctx.vncTokens.revokeRoom(roomId);
    const closed = this.closeRoom(roomId, 'control moved to someone else', to);
    this.ctx.log.info('control moved', { room: roomId, from, to, vncSessionsClosed: closed });
  }

  openCount(roomId: string): number {
    return this.sessions.get(roomId)?.size ?? 0;
  }

  /** Hono handlers for GET /api/rooms/:id/vnc?token=..., behind http/roomSocket.ts's guard. */
  handlers(): [MiddlewareHandler<AppEnv>, MiddlewareHandler<AppEnv>] {
    const authorize: MiddlewareHandler<AppEnv> = async (c, next) => {
      const { room } = c.get('roomSocket');
      const holder = this.ctx.vncTokens.consume(c.req.query('token') ?? '', room.id);
      if (!holder) throw new AppError(401, 'invalid_token', 'token: missing, used, expired or for another room', 'token');
      if (!this.ctx.control.mayDrive(room.id, holder)) throw new AppError(403, 'permission_denied', 'someone else is in control of this room');
      const key = holderKey(holder);
      if (this.byHolder.has(key)) throw new AppError(409, 'vnc_session_open', 'you already have a VNC session open in this room; close it first');
      this.byHolder.set(key, 'pending');
      let endpoint: InputEndpoint | null = null;
      try {
        // The runtime's failure (no address: the room's Pod Pending) is as unreachable as a refused connection.
        endpoint = await this.ctx.runtime.inputEndpoint(room.id);
        const { socket, serverInit } = await openAuthenticated(endpoint, room.vncPassword, 5000, true);
        c.set('vncUpstream', { holder, socket, serverInit: serverInitMessage(serverInit, 'streambox') });
      } catch (err) {
        this.byHolder.delete(key);
        this.ctx.log.warn('vnc: cannot reach the room input service', { room: room.id, at: endpoint ? describeEndpoint(endpoint) : null, err: (err as Error).message });
        throw new AppError(502, 'input_unavailable', 'the room input service is not reachable');
      }
      await next();
    };

    const upgrade: MiddlewareHandler<AppEnv> = (c) => {
      const room = c.get('roomSocket').room;
      const roomId = room.id;
      const clipboard = clipboardMode(room.config);
      const upstream = c.get('vncUpstream');
      const { holder } = upstream;
      const key = holderKey(holder);
      let open: OpenSession | null = null;
      // If the browser never completes the upgrade, do not keep the slot or x11vnc's connection.
      const abandon = setTimeout(() => open || this.abandon(upstream, key), 10_000);
      abandon.unref();
      return upgradeWebSocket(c, {
        onOpen: (_event, ws) => {
          clearTimeout(abandon);
          const raw = ws.raw as WebSocket;
          const side = wsBrowserSide(raw, () => open?.session.end(CLOSE.timeout, 'no answer to pings'));
          const session = new VncSession(side, upstream.socket, upstream.serverInit, {
            onInput: () => {
              for (const listener of this.inputListeners) listener(roomId, holder.participantId);
            },
            onPaste: (text) => {
              for (const listener of this.pasteListeners) listener(roomId, text);
            },
            onEnd: (summary) => {
              side.stop();
              if (open) this.sessions.get(roomId)?.delete(open);
              if (this.sessions.get(roomId)?.size === 0) this.sessions.delete(roomId);
              if (this.byHolder.get(key) === open) this.byHolder.delete(key);
              this.ctx.log.info('vnc session ended', { room: roomId, participant: holder.participantId, ...summary });
            },
          }, { filter: { ...DEFAULT_FILTER, clipboard: clipboard !== 'off' }, copyOut: clipboard !== 'off', handshakeMs: 10_000 });
          open = { holder, session };
          if (!this.sessions.has(roomId)) this.sessions.set(roomId, new Set());
          this.sessions.get(roomId)!.add(open);
          this.byHolder.set(key, open);
          // Control may have moved while the socket was opening.
          if (!this.ctx.control.mayDrive(roomId, holder)) session.end(CLOSE.controlMoved, 'control moved to someone else');
        },
        onMessage: (event) => {
          const data = event.data;
          if (typeof data === 'string') return open?.session.end(CLOSE.protocol, 'binary frames only');
          open?.session.fromBrowser(Buffer.from(data as ArrayBuffer));
        },
        onClose: () => open?.session.end(),
        onError: () => open?.session.end(CLOSE.upstream, 'websocket error'),
      });
    };
    return [authorize, upgrade];
  }

  private abandon(upstream: VncUpstream | undefined, key: string): void {
    upstream?.socket.destroy();
    if (this.byHolder.get(key) === 'pending') this.byHolder.delete(key);
  }
}

/** For logs: a socket path, or host:port. */
function describeEndpoint(endpoint: InputEndpoint): string {
  return 'path' in endpoint ? endpoint.path : `${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}
