/**
 * What an operator watches, in Prometheus' text format (prom-client): served to the admin at
 * GET /api/metrics and, for a Prometheus on the same machine, on a loopback listener
 * (STREAMBOX_METRICS_LISTEN, default 127.0.0.1:9464, GET /metrics; main.ts).
 *
 * Gauges are read when scraped, from what the service keeps in memory anyway: room statuses (the
 * watch-fed cache: a scrape costs systemd nothing in steady state), the room channel's people,
 * the relay's viewers and encoder pace, each room's CPU (sampled in the background, roomCpu.ts). Counters count as things happen: API errors by code,
 * admission refusals, control changes, bytes sent to fast-path viewers. HLS and RTMP bytes are
 * nginx's and are not here.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RoomsService } from '../rooms/service.js';
import type { RoomRecord, RoomStatus } from '../rooms/types.js';
import type { RelayStats } from '../media/relay.js';
import type { ControlChanges } from '../control/events.js';

/** Where the scrape-time figures come from (the composition root wires them). */
export interface MetricsSources {
  rooms: RoomsService;
  people(roomId: string): { participants: number };
  relay(roomId: string): RelayStats | null;
  /** % of one core the room's processes used over the last sample (metrics/roomCpu.ts). */
  cpu(roomId: string): number | null;
  control: ControlChanges;
}

export class Metrics {
  readonly registry = new Registry();
  readonly apiErrors = new Counter({ name: 'streambox_api_errors_total', help: 'API answers with an error, by error code and HTTP status', labelNames: ['code', 'status'], registers: [this.registry] });
  readonly admissionRefusals = new Counter({ name: 'streambox_admission_refusals_total', help: 'CreateRoom/StartRoom refused for capacity', registers: [this.registry] });
  private readonly controlChanges = new Counter({ name: 'streambox_control_changes_total', help: 'Changes of who drives a room', labelNames: ['room'], registers: [this.registry] });
  private sources: MetricsSources | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'streambox_admin_' });
    const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => Promise<void> | void) =>
      new Gauge({ name, help, labelNames, registers: [this.registry], collect() { return collect(this); } });

    gauge('streambox_rooms', 'Rooms by state (the words of the dashboard)', ['state'], async (g) => {
      g.reset();
      const counts = new Map<string, number>();
      for (const { status } of await this.statuses()) counts.set(status.state, (counts.get(status.state) ?? 0) + 1);
      for (const [state, n] of counts) g.set({ state }, n);
    });
    gauge('streambox_room_member_restarts', 'Automatic restarts of each room member since it was last started (systemd NRestarts)', ['room', 'role'], async (g) => {
      g.reset();
      for (const { room, status } of await this.statuses()) for (const [role, m] of Object.entries(status.members ?? {})) g.set({ room: room.id, role }, m.restarts ?? 0);
    });
    gauge('streambox_room_participants', 'People on the room channel', ['room'], (g) => this.perRoom(g, (room) => this.sources!.people(room.id).participants));
    gauge('streambox_room_fast_path_viewers', 'Fast-path seats in use', ['room'], (g) => this.perRoom(g, (room) => this.sources!.relay(room.id)?.viewers ?? 0));
    gauge('streambox_room_encoder_fps', 'Pictures per second reaching the relay over the last 5 s', ['room'], (g) => this.perRoom(g, (room) => this.sources!.relay(room.id)?.encoder?.fps));
    gauge('streambox_room_stream_fps', "Pictures per second of the stream's own media time over the last 5 s (late arrivals do not lower it)", ['room'], (g) => this.perRoom(g, (room) => this.sources!.relay(room.id)?.encoder?.mediaFps));
    gauge('streambox_room_stream_max_gap_ms', 'The longest media-time step between two pictures over the last 5 s, ms (33 at 30 fps when every grab was on time)', ['room'], (g) => this.perRoom(g, (room) => this.sources!.relay(room.id)?.encoder?.maxGapMs));
    gauge('streambox_room_encoder_speed', 'Media time encoded per second of wall time over the last 5 s (1 = real time)', ['room'], (g) => this.perRoom(g, (room) => this.sources!.relay(room.id)?.encoder?.speed));
    gauge('streambox_room_cpu_percent', 'CPU of the room\'s processes over the last 5 s, in % of one core (top\'s way)', ['room'], (g) => this.perRoom(g, (room) => this.sources!.cpu(room.id) ?? undefined));
    gauge('streambox_room_target_fps', 'The frame rate each room was made with', ['room'], (g) => this.perRoom(g, (room) => room.config.fps));
    // Read from the relay when scraped; a room's count starts again with its relay (Prometheus' rate() takes resets).
    const sources = () => this.sources;
    new Counter({
      name: 'streambox_fast_path_sent_bytes_total',
      help: 'Bytes relayed to fast-path viewers, per room',
      labelNames: ['room'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const room of sources()?.rooms.list() ?? []) {
          const sent = sources()!.relay(room.id)?.bytesOut;
          if (sent) this.inc({ room: room.id }, sent);
        }
      },
    });
  }

  /** Connects the scrape-time sources (they exist only once the context is built). */
  attach(sources: MetricsSources): void {
    this.sources = sources;
    sources.control.onControlChange((change) => this.controlChanges.inc({ room: change.roomId }));
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async statuses(): Promise<Array<{ room: RoomRecord; status: RoomStatus }>> {
    if (!this.sources) return [];
    const rooms = this.sources.rooms;
    return Promise.all(rooms.list().map(async (room) => ({ room, status: await rooms.status(room) })));
  }

  private perRoom(g: Gauge, value: (room: RoomRecord) => number | undefined): void {
    g.reset();
    for (const room of this.sources?.rooms.list() ?? []) {
      const v = value(room);
      if (v !== undefined) g.set({ room: room.id }, v);
    }
  }
}
