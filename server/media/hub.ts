/**
 * The fast path's two ends, by room:
 * - ingest: each room's encoder pushes two FLV streams, video and audio (HTTP POSTs that last as
 *   long as the encoder runs), to the ingest listener (ingestServer.ts), with a per-room key;
 * - viewers: the room page's WebSocket GET /api/rooms/:id/media (behind the appliance's one
 *   HTTP port, like every other route), limited to `fastPathSeats` per room; past that, pages
 *   use the audience path (HLS).
 * A viewer whose browser vanished is found by WebSocket pings and dropped within seconds.
 * The viewers' route is behind http/roomSocket.ts's guard (room, Origin, access) like the others.
 */
import type { MiddlewareHandler } from 'hono';
import { upgradeWebSocket } from '@hono/node-server';
import type { WebSocket } from 'ws';
import type { Logger } from '../log.js';
import type { RoomsService } from '../rooms/service.js';
import type { AppEnv } from '../http/env.js';
import { isRoomId } from '../rooms/ids.js';
import { hmac, safeEqual } from '../auth/secrets.js';
import { PlaybackKeys } from './playbackKeys.js';
import { FlvReader } from './flv.js';
import type { TrackInfo } from './tracks.js';
import { RoomRelay, type RelayStats } from './relay.js';
import { CLOSE_ROOM_DELETED, CLOSE_SEATS_FULL } from '../../protocol/closeCodes.js';
import { decodeClientMessage, encodeMessage, type ServerMessage } from '../../protocol/fastPath.js';

/** How often viewers are pinged, and how long one may stay silent before it is dropped. */
const PING_EVERY_MS = 2000;
const DEAD_AFTER_MS = 6000;

export interface MediaHubDeps {
  rooms: RoomsService;
  log: Logger;
  /** Secret the ingest keys derive from. */
  secret: string;
  fastPathSeats: number;
  /** Seats one client address may hold in a room (so one client cannot take them all). */
  fastPathSeatsPerClient?: number;
}

/** Default seats per client address: 5 of the default 30. */
export const DEFAULT_SEATS_PER_CLIENT = 5;

interface Viewer {
  lastPong: number;
  client: string;
  grant: string | null;
  isAdmin: boolean;
}

/** What closeViewers matches on. */
export type ViewerInfo = Pick<Viewer, 'client' | 'grant' | 'isAdmin'>;

interface ActiveIngest {
  /** Ends the encoder's connection; `status` is what it is told (400 refused, 404 no room, 503 try again). */
  abort(reason: string, status?: number): void;
}

export class MediaHub {
  private readonly relays = new Map<string, RoomRelay>();
  private readonly ingests = new Map<string, ActiveIngest>();
  /** Each room's viewer sockets, with when each last answered a ping. */
  private readonly viewers = new Map<string, Map<WebSocket, Viewer>>();
  private pinger: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  /** Keys and tokens of the audience path (nginx-rtmp publish and play, see playbackKeys.ts). */
  readonly playback: PlaybackKeys;

  constructor(private readonly deps: MediaHubDeps) {
    this.playback = new PlaybackKeys(deps.secret);
  }

  /** The key a room's encoder presents; derived, so nothing extra is stored per room. */
  ingestKey(roomId: string): string {
    return hmac(this.deps.secret, `media-ingest:${roomId}`).slice(0, 32);
  }

  /** A room that exists (a deleted room's encoder gets nowhere). May throw on a database error. */
  isIngestRoom(roomId: string): boolean {
    return isRoomId(roomId) && this.deps.rooms.exists(roomId);
  }

  checkIngestKey(roomId: string, key: string | null): boolean {
    return key !== null && isRoomId(roomId) && safeEqual(key, this.ingestKey(roomId));
  }

  /**
   * The encoder's secrets as files (the unit loads them with LoadCredential=, so they never sit
   * in ffmpeg's argv): an ffmpeg preset that puts the publish key in the RTMP stream name
   * (`fifo_options` of the tee's RTMP slave; `flvflags=no_metadata` keeps the ingest key below
   * out of what nginx-rtmp relays to players), and the `-metadata` value carrying the ingest key.
   */
  encoderFiles(roomId: string): { rtmpPreset: string; ingestMetadata: string } {
    return {
      rtmpPreset: `fifo_options=format_opts=rtmp_playpath=${roomId}?key=${this.playback.publishKey(roomId)}\\:flvflags=no_metadata\n`,
      ingestMetadata: `streambox_key=${this.ingestKey(roomId)}`,
    };
  }

  /** Seats this client address holds in the room now. */
  private seatsOf(roomId: string, client: string): number {
    let n = 0;
    for (const v of this.viewers.get(roomId)?.values() ?? []) if (v.client === client) n++;
    return n;
  }

  private relay(roomId: string): RoomRelay {
    let relay = this.relays.get(roomId);
    if (!relay) this.relays.set(roomId, (relay = new RoomRelay()));
    return relay;
  }

  /**
   * Starts reading one of a room's encoder connections (its video or its audio). A newer
   * connection for the same track replaces the older one (the encoder restarted before the old
   * TCP connection noticed). Returns the functions the transport calls with bytes and at the end.
   */
  openIngest(roomId: string, kind: TrackInfo['kind'], abort: (reason: string, status?: number) => void): { push(chunk: Buffer): void; end(): boolean } {
    const key = `${roomId}/${kind}`;
    const relay = () => this.relay(roomId);
    // Nothing reaches the relay before the stream's onMetaData has shown the room's key.
    let keyed = false;
    const parser = new FlvReader({
      metadata: (meta) => {
        if (this.checkIngestKey(roomId, meta.streamboxKey)) {
          if (!keyed) this.takeOver(key, me, roomId, kind);
          keyed = true;
        } else refuse('wrong or missing key');
      },
      setTrack: (track) => (keyed ? track.kind === kind && relay().setTrack(track) : refuse('no key before the first track')),
      publish: (sample) => (keyed ? sample.kind === kind && relay().publish(sample) : refuse('no key before the first frame')),
    });
    const me: ActiveIngest = { abort };
    let failed = false;
    let ended = false;
    const refuse = (reason: string) => {
      if (failed) return;
      failed = true;
      this.deps.log.warn('media: ingest refused', { room: roomId, track: kind, reason });
      abort(reason);
    };
    return {
      push: (chunk) => {
        if (failed) return;
        try {
          parser.push(chunk);
        } catch (err) {
          failed = true;
          this.deps.log.warn('media: bad stream from the encoder', { room: roomId, err: (err as Error).message });
          abort((err as Error).message);
        }
      },
      /** The stream ended; true if it was ever a keyed stream of the room (else: refused). */
      end: () => {
        if (ended) return keyed && !failed;
        ended = true;
        if (this.ingests.get(key) === me) this.ingests.delete(key);
        this.deps.log.info('media: encoder disconnected', { room: roomId, track: kind });
        this.forgetIfIdle(roomId);
        return keyed && !failed;
      },
    };
  }

  /**
   * A keyed connection replaces the track's older one: the encoder restarted before the old TCP
   * connection noticed. Only the room's encoder has the key (a root-only credential file; the
   * room's browser, same UID, cannot reach loopback through the kiosk's egress rules), so this is
   * kept rather than refusing a newcomer, which would leave a restarted encoder waiting for a dead
   * connection to time out. Logged, so a takeover is visible.
   */
  private takeOver(key: string, me: ActiveIngest, roomId: string, kind: string): void {
    const old = this.ingests.get(key);
    if (old) {
      this.deps.log.warn('media: a newer encoder connection replaces the live one', { room: roomId, track: kind });
      old.abort('replaced by a newer encoder connection');
    }
    this.ingests.set(key, me);
    this.deps.log.info('media: encoder connected', { room: roomId, track: kind });
  }

  stats(roomId: string): RelayStats | null {
    return this.relays.get(roomId)?.stats() ?? null;
  }

  /** Pings every viewer and drops the ones that stopped answering; follows rooms being deleted. */
  start(): void {
    this.pinger = setInterval(() => {
      const now = Date.now();
      for (const room of this.viewers.values())
        for (const [ws, viewer] of room) {
          if (now - viewer.lastPong > DEAD_AFTER_MS) ws.terminate();
          else ws.ping();
        }
    }, PING_EVERY_MS);
    this.pinger.unref();
    this.unsubscribe = this.deps.rooms.onChange((roomId) => {
      if (roomId && !this.deps.rooms.exists(roomId)) this.closeRoom(roomId);
    });
  }

  stop(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.unsubscribe?.();
    for (const ingest of this.ingests.values()) ingest.abort('server shutting down', 503); // the ingest buffer links again when the service is back
    for (const room of this.viewers.values()) for (const ws of room.keys()) ws.close(1001, 'server shutting down');
  }

  /** Closes the room's fast-path viewers that match (a kick, a password change); returns how many. */
  closeViewers(roomId: string, match: (v: ViewerInfo) => boolean, code: number, reason: string): number {
    let closed = 0;
    for (const [ws, v] of this.viewers.get(roomId) ?? []) {
      if (!match(v)) continue;
      ws.close(code, reason);
      closed++;
    }
    return closed;
  }

  /** The room is gone: close its viewers and its encoder connection. */
  closeRoom(roomId: string): void {
    for (const ws of this.viewers.get(roomId)?.keys() ?? []) ws.close(CLOSE_ROOM_DELETED, 'room deleted');
    for (const kind of ['video', 'audio']) this.ingests.get(`${roomId}/${kind}`)?.abort('room deleted', 404);
    this.relays.delete(roomId);
  }

  private forgetIfIdle(roomId: string): void {
    const ingesting = this.ingests.has(`${roomId}/video`) || this.ingests.has(`${roomId}/audio`);
    if (!ingesting && !(this.viewers.get(roomId)?.size ?? 0)) this.relays.delete(roomId);
  }

  /**
   * Hono handler for GET /api/rooms/:id/media (WebSocket), behind http/roomSocket.ts's guard. Each
   * viewer keeps the grant it came in on (null: open room or the admin), so a kick or a password
   * change can close its stream too.
   */
  handler(): MiddlewareHandler<AppEnv> {
    return (c) => {
      const { room: record, isAdmin, grant, address: client } = c.get('roomSocket');
      const roomId = record.id;
      const perClient = this.deps.fastPathSeatsPerClient ?? DEFAULT_SEATS_PER_CLIENT;
      let leave: (() => void) | null = null;
      let socket: WebSocket | null = null;
      return upgradeWebSocket(c, {
        onOpen: (_event, ws) => {
          const raw = (socket = ws.raw as WebSocket);
          const room = this.viewers.get(roomId) ?? new Map<WebSocket, Viewer>();
          // Past either cap the page plays HLS instead (the same answer: 'full', 4003).
          const mine = this.seatsOf(roomId, client);
          if (room.size >= this.deps.fastPathSeats || mine >= perClient) {
            send(raw, { type: 'full', seats: this.deps.fastPathSeats });
            raw.close(CLOSE_SEATS_FULL, room.size >= this.deps.fastPathSeats ? 'every fast-path seat is taken' : `this address holds ${mine} fast-path seats already`);
            if (mine >= perClient) this.deps.log.info('media: seat refused, per-client cap', { room: roomId, client, seats: mine });
            return;
          }
          const viewer: Viewer = { lastPong: Date.now(), client, grant, isAdmin };
          this.viewers.set(roomId, room.set(raw, viewer));
          raw.on('pong', () => (viewer.lastPong = Date.now()));
          leave = this.relay(roomId).join({
            send: (data) => raw.send(data),
            bufferedAmount: () => raw.bufferedAmount,
          });
        },
        onMessage: (event) => {
          if (typeof event.data !== 'string' || !socket) return;
          const msg = decodeClientMessage(event.data);
          if (msg?.type === 'ping') send(socket, { type: 'pong', t: msg.t, serverTime: Date.now() });
        },
        onClose: () => {
          leave?.();
          leave = null;
          if (socket) this.viewers.get(roomId)?.delete(socket);
          this.forgetIfIdle(roomId);
        },
      });
    };
  }
}

function send(ws: WebSocket, msg: ServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(encodeMessage(msg));
}
