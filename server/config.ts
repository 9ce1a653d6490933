/** Configuration from the environment (the appliance sets it in /etc/streambox/streambox.env). */
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { loadControlLimits, type ControlLimits } from './control/limits.js';
import { loadCapacity, type CapacitySettings } from './rooms/capacity.js';
import { loadSessionDefaults, type SessionDefaults } from './rooms/sessionRules.js';
import { parseMetricsListen } from './metrics/listener.js';
import { loadRecordingLimits, type RecordingLimits } from './recordings/limits.js';
import { loadRuntimeChoice, type RuntimeChoice } from './runtime/choice.js';

export interface Config {
  listenHost: string;
  listenPort: number;
  /** Unix socket nginx proxies to (STREAMBOX_EDGE_SOCKET): only its requests' X-Real-IP / X-Forwarded-* are believed. */
  edgeSocket: string | null;
  dataDir: string;
  dbPath: string;
  /** Where room env files go; the units read them with EnvironmentFile=. */
  roomsEnvDir: string;
  /** Where x11vnc listens for each room: `${vncSocketDir}/ID/vnc.sock`. */
  vncSocketDir: string;
  busAddress: string;
  /** ffmpeg publishes here on the appliance (loopback); on Kubernetes see roomRtmpBase. */
  rtmpPublishBase: string;
  /** Port external RTMP players use on the appliance's public host name. */
  rtmpPublicPort: number;
  /** URL path under which nginx serves HLS playlists. */
  hlsPathPrefix: string;
  /** Operator-set admin password file; when absent a password is generated on first start. */
  adminPasswordFile: string;
  /** Absolute public base URL (e.g. https://rooms.example.org); otherwise derived from each request. */
  publicUrl: string | null;
  /** The built web UI (Vite's output). */
  webDir: string;
  /** Loopback address the rooms' encoders push their fast-path stream to (never public). */
  ingestHost: string;
  ingestPort: number;
  /**
   * The admin service's own ingest listener: STREAMBOX_INGEST_UPSTREAM when the ingest buffer
   * (streambox-ingest.service) holds the encoders' address and forwards to it, else the same.
   */
  ingestListen: { host: string; port: number };
  /** Fast-path viewers per room; the rest of the audience gets HLS. */
  fastPathSeats: number;
  /** Of those, how many one client address may hold (STREAMBOX_FAST_PATH_SEATS_PER_CLIENT). */
  fastPathSeatsPerClient: number;
  /** nginx's plain HTTP port (STREAMBOX_HTTP_PORT) and HTTPS port (STREAMBOX_HTTPS_PORT). */
  httpPort: number;
  httpsPort: number;
  /** streambox-tls's state: status.json, ca/ca.crt (STREAMBOX_TLS_DIR, default DATA_DIR/tls). */
  tlsDir: string;
  /** Participant caps and the idle rule (STREAMBOX_CONTROL_*, STREAMBOX_PARTICIPANTS_*, STREAMBOX_CURSOR_RATE). */
  control: ControlLimits;
  /** The cores rooms may use and what a room costs (STREAMBOX_CAPACITY_CORES, STREAMBOX_ROOM_COST; rooms/capacity.ts). */
  capacity: CapacitySettings;
  /** Idle stop and session caps, the rooms' defaults (STREAMBOX_IDLE_STOP_MINUTES, STREAMBOX_MAX_DURATION_MINUTES, STREAMBOX_SESSION_WARN_MINUTES; rooms/sessionRules.ts). */
  session: SessionDefaults;
  /** Loopback listener for Prometheus (STREAMBOX_METRICS_LISTEN, default 127.0.0.1:9464; null: off). */
  metricsListen: { host: string; port: number } | null;
  /** Where the recordings go (STREAMBOX_RECORDINGS_DIR, default DATA_DIR/recordings; units/recorder@.service writes there). */
  recordingsDir: string;
  /** Their disk limits (STREAMBOX_RECORDINGS_MAX_BYTES, STREAMBOX_RECORDINGS_MIN_FREE_BYTES; recordings/limits.ts). */
  recordingLimits: RecordingLimits;
  /** What runs the rooms (STREAMBOX_RUNTIME: systemd or kubernetes, with STREAMBOX_K8S_*; runtime/choice.ts). */
  runtime: RuntimeChoice;
}

/**
 * Where the rooms' encoders publish and the recorders play the rooms' streams from (`/ID` is
 * appended): nginx-rtmp on the appliance's loopback, or its Service on Kubernetes, where a
 * recorder is a Pod of its own with no nginx on its loopback.
 */
export function roomRtmpBase(config: Pick<Config, 'runtime' | 'rtmpPublishBase'>): string {
  return config.runtime.kind === 'kubernetes' ? config.runtime.kubernetes.rtmpUrlBase : config.rtmpPublishBase;
}

/** The directory holding package.json: the checkout, or /opt/streambox when installed. */
function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** web/dist of the app: <repo>/web/dist in a checkout, /opt/streambox/web/dist installed. */
const DEFAULT_WEB_DIR = join(appRoot(), 'web', 'dist');

/** HOST:PORT (the port after the last colon, so IPv6 literals work); either part may be left out. */
export function hostPort(value: string | undefined, fallback: { host: string; port: number }, name: string): { host: string; port: number } {
  const [host, portText] = (value ?? '').split(/:(?=[^:]*$)/);
  return { host: host || fallback.host, port: port(portText, fallback.port, name) };
}

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, got '${value}'`);
  return n;
}

/** Fast-path seats one client address may hold in a room: 5 unless set (a whole number >= 1). */
function perClientSeats(value: string | undefined): number {
  if (value === undefined || value === '') return 5;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`STREAMBOX_FAST_PATH_SEATS_PER_CLIENT must be a whole number >= 1, got '${value}'`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const [listenHost, listenPortText] = (env.STREAMBOX_ADMIN_LISTEN ?? '127.0.0.1:8080').split(/:(?=[^:]*$)/);
  const dataDir = env.STREAMBOX_DATA_DIR ?? '/var/lib/streambox';
  const rtmpPort = port(env.STREAMBOX_RTMP_PORT, 1935, 'STREAMBOX_RTMP_PORT');
  const ingest = hostPort(env.STREAMBOX_INGEST_LISTEN, { host: '127.0.0.1', port: 8081 }, 'STREAMBOX_INGEST_LISTEN');
  const seats = Number(env.STREAMBOX_FAST_PATH_SEATS ?? '30');
  const runtime = loadRuntimeChoice(env);
  const capacity = loadCapacity(env, availableParallelism());
  // On Kubernetes the rooms do not share this Pod's cores: the scheduler admits them (a room that
  // fits on no node is Unschedulable), unless the operator sets a budget for the whole cluster.
  if (runtime.kind === 'kubernetes' && !env.STREAMBOX_CAPACITY_CORES) capacity.budgetCores = null;
  if (!Number.isInteger(seats) || seats < 0) throw new Error(`STREAMBOX_FAST_PATH_SEATS must be a whole number, got '${env.STREAMBOX_FAST_PATH_SEATS}'`);
  return {
    listenHost: listenHost || '127.0.0.1',
    listenPort: port(listenPortText, 8080, 'STREAMBOX_ADMIN_LISTEN'),
    edgeSocket: env.STREAMBOX_EDGE_SOCKET || null,
    dataDir,
    dbPath: env.STREAMBOX_DB_PATH ?? join(dataDir, 'streambox.db'),
    roomsEnvDir: env.STREAMBOX_ROOMS_ENV_DIR ?? '/etc/streambox/rooms',
    vncSocketDir: env.STREAMBOX_VNC_SOCKET_DIR ?? '/run/streambox-room',
    busAddress: env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/run/dbus/system_bus_socket',
    rtmpPublishBase: `rtmp://127.0.0.1:${rtmpPort}/live`,
    rtmpPublicPort: rtmpPort,
    hlsPathPrefix: (env.STREAMBOX_HLS_PATH_PREFIX ?? '/hls').replace(/\/$/, ''),
    adminPasswordFile: env.STREAMBOX_ADMIN_PASSWORD_FILE ?? '/etc/streambox/admin-password',
    publicUrl: env.STREAMBOX_PUBLIC_URL ? env.STREAMBOX_PUBLIC_URL.replace(/\/$/, '') : null,
    webDir: env.STREAMBOX_WEB_DIR ?? DEFAULT_WEB_DIR,
    ingestHost: ingest.host,
    ingestPort: ingest.port,
    ingestListen: env.STREAMBOX_INGEST_UPSTREAM ? hostPort(env.STREAMBOX_INGEST_UPSTREAM, ingest, 'STREAMBOX_INGEST_UPSTREAM') : ingest,
    fastPathSeats: seats,
    fastPathSeatsPerClient: perClientSeats(env.STREAMBOX_FAST_PATH_SEATS_PER_CLIENT),
    httpPort: port(env.STREAMBOX_HTTP_PORT, 80, 'STREAMBOX_HTTP_PORT'),
    httpsPort: port(env.STREAMBOX_HTTPS_PORT, 443, 'STREAMBOX_HTTPS_PORT'),
    tlsDir: env.STREAMBOX_TLS_DIR ?? join(dataDir, 'tls'),
    control: loadControlLimits(env),
    capacity,
    session: loadSessionDefaults(env),
    metricsListen: parseMetricsListen(env.STREAMBOX_METRICS_LISTEN),
    recordingsDir: env.STREAMBOX_RECORDINGS_DIR ?? join(dataDir, 'recordings'),
    recordingLimits: loadRecordingLimits(env),
    runtime,
  };
}
