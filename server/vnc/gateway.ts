/**
 * The VNC WebSocket, served by the admin service itself: GET /api/rooms/:id/vnc?token=...
 * The token (single use, from GetVncToken) is checked before the upgrade; then the gateway opens an
 * authenticated RFB connection to the room's x11vnc on its unix socket and relays. It keeps every
 * open session by room, so that control moving to someone else can close the old holder's.
 */
import { join } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import { upgradeWebSocket } from '@hono/node-server';
import type { Socket } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { RoomsService } from '../rooms/service.js';
import type { VncTokens } from '../control/vncTokens.js';
import type { ControlPolicy } from '../control/policy.js';
import { AppError } from '../errors.js';
import { isRoomId } from '../rooms/ids.js';
import { openAuthenticated } from './rfb.js';
import { VncSession } from './session.js';
import type { TokenHolder } from '../control/vncTokens.js';

interface OpenSession {
  holder: TokenHolder;
  session: VncSession;
}

export class VncGateway {
  private readonly sessions = new Map<string, Set<OpenSession>>();

  constructor(private readonly ctx: { config: Config; log: Logger; rooms: RoomsService; vncTokens: VncTokens; control: ControlPolicy }) {}

  socketPath(roomId: string): string {
    return join(this.ctx.config.vncSocketDir, roomId, 'vnc.sock');
  }

  /** Closes the room's sessions, except those of `keep` (a participant ID); returns how many. */
  closeRoom(roomId: string, reason: string, keep?: string | null): number {
    let closed = 0;
    for (const open of [...(this.sessions.get(roomId) ?? [])]) {
      if (keep !== undefined && keep !== null && open.holder.participantId === keep) continue;
      open.session.end(4001, reason);
      closed++;
    }
    return closed;
  }

  openCount(roomId: string): number {
    return this.sessions.get(roomId)?.size ?? 0;
  }

  /** Hono handlers for the WebSocket route. */
  handlers(): [MiddlewareHandler, MiddlewareHandler] {
    const authorize: MiddlewareHandler = async (c, next) => {
      const id = c.req.param('id') ?? '';
      if (!isRoomId(id)) throw new AppError(400, 'invalid_argument', 'id: is not a room ID', 'id');
      const holder = this.ctx.vncTokens.consume(c.req.query('token') ?? '', id);
      if (!holder) throw new AppError(401, 'invalid_token', 'token: missing, used, expired or for another room', 'token');
      const room = this.ctx.rooms.get(id);
      if (!this.ctx.control.mayDrive(id, holder)) throw new AppError(403, 'permission_denied', 'someone else is in control of this room');
      try {
        const upstream = await openAuthenticated({ path: this.socketPath(id) }, room.vncPassword);
        c.set('vncUpstream' as never, upstream as never);
        c.set('vncHolder' as never, holder as never);
      } catch (err) {
        this.ctx.log.warn('vnc: cannot reach the room input service', { room: id, err: (err as Error).message });
        throw new AppError(502, 'input_unavailable', 'the room input service is not reachable');
      }
      await next();
    };

    const upgrade = upgradeWebSocket((c) => {
      const roomId = c.req.param('id') ?? '';
      const { socket, rest } = c.get('vncUpstream' as never) as unknown as { socket: Socket; rest: Buffer };
      const holder = c.get('vncHolder' as never) as unknown as TokenHolder;
      let open: OpenSession | null = null;
      // If the browser never completes the upgrade, do not keep x11vnc's connection open.
      const abandon = setTimeout(() => open || socket.destroy(), 10_000);
      return {
        onOpen: (_event, ws) => {
          const session = new VncSession(
            { send: (data) => ws.send(data as Uint8Array<ArrayBuffer>), close: (code, reason) => ws.close(code, reason) },
            socket,
            rest,
            () => {
              if (open) this.sessions.get(roomId)?.delete(open);
            },
          );
          clearTimeout(abandon);
          open = { holder, session };
          if (!this.sessions.has(roomId)) this.sessions.set(roomId, new Set());
          this.sessions.get(roomId)!.add(open);
        },
        onMessage: (event) => {
          const data = event.data;
          if (typeof data === 'string') return open?.session.end(1003, 'binary frames only');
          open?.session.fromBrowser(Buffer.from(data as ArrayBuffer));
        },
        onClose: () => open?.session.end(),
        onError: () => open?.session.end(1011, 'websocket error'),
      };
    });
    return [authorize, upgrade];
  }
}
