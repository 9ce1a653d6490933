/** Everything the HTTP handlers need, built once by the composition root (main.ts) or a test. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { RoomsService } from '../rooms/service.js';
import type { AdminAuth } from '../auth/adminAuth.js';
import type { RoomRuntime } from '../runtime/types.js';
import type { VncTokens } from '../control/vncTokens.js';
import type { ControlPolicy } from '../control/policy.js';
import type { VncGateway } from '../vnc/gateway.js';
import type { ControlArbiter } from '../control/arbiter.js';
import type { PresenceHub } from '../presence/hub.js';
import type { MediaHub } from '../media/hub.js';
import type { RoomGrants } from '../auth/roomGrants.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SessionLimits } from '../rooms/sessionLimits.js';
import type { RecordingsService } from '../recordings/service.js';
import type { RoomCpu } from '../metrics/roomCpu.js';

export interface AppContext {
  config: Config;
  log: Logger;
  rooms: RoomsService;
  auth: AdminAuth;
  runtime: RoomRuntime;
  vncTokens: VncTokens;
  /** Decides who may get a VNC token (the arbiter, in production). */
  control: ControlPolicy;
  arbiter: ControlArbiter;
  /** The room channel (presence, control actions, cursors). */
  presence: PresenceHub;
  /** The VNC WebSocket relay; it follows the arbiter's control changes and closes the old holder's session. */
  vnc: VncGateway;
  /** Idle stop and time limits (rooms/sessionLimits.ts), and the visitor's wake. */
  sessions: SessionLimits;
  /** Recording rooms (recorder@ID.service), their files and disk limits. */
  recordings: RecordingsService;
  /** The fast live view: encoder ingest and viewer WebSockets. */
  media: MediaHub;
  /** Per-Join access to password rooms (revocable). */
  grants: RoomGrants;
  /** Secret for keyed hashes (the media ingest keys); generated on first start and kept in the store. */
  cookieSecret: string;
  /** Answers true when the store can be read. */
  storeHealthy: () => boolean;
  /** What an operator watches (Prometheus text: GET /api/metrics, and main.ts's loopback listener). */
  metrics: Metrics;
  /** Each running room's CPU, sampled in the background (main.ts starts it). */
  roomCpu: RoomCpu;
}
