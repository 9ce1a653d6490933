/**
 * Wires the parts together from a config, a database and a runtime. main.ts and the tests both
 * build their context here, so what the tests run is what the appliance runs.
 */
import { roomRtmpBase, type Config } from './config.js';
import type { Logger } from './log.js';
import type { Db } from './store/db.js';
import type { RoomRuntime } from './runtime/types.js';
import type { AppContext } from './http/context.js';
import { RoomStore } from './store/roomStore.js';
import { AuthStore } from './store/authStore.js';
import { RoomsService } from './rooms/service.js';
import { AdminAuth } from './auth/adminAuth.js';
import { LoginThrottle } from './auth/throttle.js';
import { VncTokens } from './control/vncTokens.js';
import { ControlArbiter, type ArbiterOptions } from './control/arbiter.js';
import type { ControlPolicy } from './control/policy.js';
import { VncGateway } from './vnc/gateway.js';
import { ClipboardWatch } from './vnc/clipboardWatch.js';
import { PresenceHub } from './presence/hub.js';
import { RoomGrants } from './auth/roomGrants.js';
import { GrantStore } from './store/grantStore.js';
import { newSecret } from './rooms/ids.js';
import { MediaHub } from './media/hub.js';
import { ingestUrl } from './media/ingestServer.js';
import { Metrics } from './metrics/metrics.js';
import { SessionLimits, type SessionWarning } from './rooms/sessionLimits.js';
import type { ServerMessage } from '../protocol/roomChannel.js';
import { RecordingsService } from './recordings/service.js';
import { RoomCpu } from './metrics/roomCpu.js';
import { Rejoins } from './presence/rejoins.js';
import { ParticipantStore } from './store/participantStore.js';

export interface ContextOptions {
  config: Config;
  db: Db;
  runtime: RoomRuntime;
  log: Logger;
  /** Milliseconds since the epoch; tests pass a controllable clock. */
  now?: () => number;
  idle?: ArbiterOptions;
  /** Replaces the arbiter as the policy for VNC tokens (tests of the seam). */
  control?: ControlPolicy;
}

export function createContext(opts: ContextOptions): AppContext {
  const { config, db, runtime, log } = opts;
  const now = opts.now ?? Date.now;
  const clock = () => new Date(now());
  const authStore = new AuthStore(db);
  const cookieSecret = authStore.getOrCreateSetting('cookie_secret', () => newSecret(32));
  const metrics = new Metrics();
  // The rooms need the relay's encoder files, and the relay needs the rooms.
  let media: MediaHub | null = null;
  const relayUrl = (roomId: string) => ingestUrl(config.ingestHost, config.ingestPort, roomId);
  const rooms = new RoomsService({ store: new RoomStore(db), runtime, clock, log, relayUrl, encoderFiles: (roomId) => media!.encoderFiles(roomId), capacity: config.capacity, onAdmissionRefused: () => metrics.admissionRefusals.inc() });
  media = new MediaHub({
    rooms,
    log,
    secret: cookieSecret,
    fastPathSeats: config.fastPathSeats,
    fastPathSeatsPerClient: config.fastPathSeatsPerClient,
  });
  const auth = new AdminAuth({ store: authStore, throttle: new LoginThrottle(now), clock, log, dataDir: config.dataDir, passwordFile: config.adminPasswordFile });
  const vncTokens = new VncTokens(now, undefined, config.control.vncTokensPerMinute);
  const arbiter = new ControlArbiter(now, opts.idle ?? { idleMs: config.control.idleMs, warnMs: config.control.warnMs });
  const control = opts.control ?? arbiter;
  // Control changes come from the arbiter whatever policy decides who may drive: the gateway
  // and the channel follow them; neither calls the other.
  const vnc = new VncGateway({ runtime, log, vncTokens, control, controlChanges: arbiter });
  // The idle clock runs on input that reached the room, as the gateway saw it.
  vnc.onInput((roomId, participantId) => {
    if (participantId !== null) arbiter.activity(roomId, participantId);
  });
  // Pages come back as who they were after a drop or a restart; the driver's seat waits for them.
  const rejoins = new Rejoins(new ParticipantStore(db), now);
  for (const seat of rejoins.restore()) arbiter.reserve(seat.roomId, seat.id, seat.until);
  arbiter.onControlChange((change) => rejoins.holderChanged(change.roomId, change.to));
  // Idle stop and time limits: the channel's counts come in, warnings go out to the channel.
  const sessions = new SessionLimits({ rooms, defaults: config.session, now, log, onWarning: (roomId, w) => ctx.presence.announce(roomId, timeLimitMessage(w)) });
  const timeLimitMessages = (roomId: string) => {
    const w = sessions.pendingWarning(roomId);
    return w ? [timeLimitMessage(w)] : [];
  };
  // The recordings tell the room through the channel, and the channel tells joiners of them.
  let presence: PresenceHub | null = null;
  const recordings = new RecordingsService({
    runtime,
    rooms,
    rtmpBase: roomRtmpBase(config), // where the room's encoder publishes (nginx-rtmp's Service on Kubernetes)
    playToken: (roomId) => media!.playback.playToken(rooms.get(roomId)),
    dir: config.recordingsDir,
    limits: config.recordingLimits,
    announce: (roomId, msg) => presence?.announce(roomId, msg),
    log,
    now,
  });
  rooms.onDelete((roomId) => recordings.roomDeleted(roomId));
  // Copy-out to everyone ('everyone' rooms): the channel watches the room's x11vnc through the
  // watcher while anybody is in it; the gateway's pastes are not copies (their echo is skipped).
  const clipboardWatch = new ClipboardWatch({
    log,
    target: async (roomId) => (rooms.exists(roomId) ? { endpoint: await runtime.inputEndpoint(roomId), password: rooms.get(roomId).vncPassword } : null),
    onCopy: (roomId, text) => presence?.clipboard.copied(roomId, text),
  });
  vnc.onPaste((roomId, text) => clipboardWatch.pasted(roomId, text));
  presence = new PresenceHub({
    arbiter,
    rooms,
    vncTokens,
    log,
    limits: config.control,
    now,
    onOccupancy: (roomId, count) => sessions.occupancy(roomId, count),
    rejoins,
    joinMessages: (roomId) => [...timeLimitMessages(roomId), recordings.indicator(roomId)],
    watchClipboard: (roomId) => clipboardWatch.watch(roomId),
  });
  const ctx: AppContext = {
    config,
    log,
    rooms,
    auth,
    runtime,
    vncTokens,
    control,
    arbiter,
    vnc,
    presence,
    sessions,
    recordings,
    media,
    grants: new RoomGrants(new GrantStore(db), now),
    cookieSecret,
    metrics,
    roomCpu: new RoomCpu({ runtime, now, roomIds: () => rooms.list().filter((r) => r.desiredState === 'running').map((r) => r.id) }),
    storeHealthy: () => {
      try {
        db.prepare('SELECT 1').get();
        return true;
      } catch {
        return false;
      }
    },
  };
  metrics.attach({ rooms, people: (roomId) => ctx.presence.summary(roomId), relay: (roomId) => media!.stats(roomId), cpu: (roomId) => ctx.roomCpu.of(roomId), control: arbiter });
  return ctx;
}

function timeLimitMessage(w: SessionWarning): ServerMessage {
  return { type: 'time-limit', endsAt: w.endsAt === null ? null : new Date(w.endsAt).toISOString(), msLeft: w.msLeft };
}
