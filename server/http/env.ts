/**
 * The Hono environment every router and middleware of the admin service shares (`new
 * Hono<AppEnv>()`), so that what one middleware puts on the context, the next reads typed:
 * `c.get('roomSocket')`, never a cast.
 */
import type { Socket } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import type { RoomRecord } from '../rooms/types.js';
import type { TokenHolder } from '../control/vncTokens.js';

/** Who opens one of a room's WebSockets, as the route guard (roomSocket.ts) found them. */
export interface RoomSocketCaller {
  room: RoomRecord;
  isAdmin: boolean;
  /** The room-access grant they came in on (null: an open room, the admin, or a VNC token's route). */
  grant: string | null;
  /** The client's address (behind nginx: the peer nginx saw). */
  address: string;
}

/** The VNC route's upstream, opened before the upgrade (vnc/gateway.ts). */
export interface VncUpstream {
  holder: TokenHolder;
  socket: Socket;
  serverInit: Buffer;
}

export interface AppEnv {
  /**
   * The Node request under @hono/node-server. Partial: under app.request() (tests, in-process)
   * there is none at all.
   */
  Bindings: Partial<HttpBindings>;
  Variables: {
    roomSocket: RoomSocketCaller;
    /** The room channel's display name, checked before the upgrade. */
    participantName: string;
    vncUpstream: VncUpstream;
  };
}
