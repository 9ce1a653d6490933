/**
 * The seam between room lifecycle and whatever runs a room's processes: systemd over D-Bus
 * (runtime/systemd/, the appliance) or the Kubernetes API (runtime/kubernetes/, rooms as Pods),
 * chosen by configuration (runtime/choice.ts). Nothing above this file knows which.
 */

/** The five parts of a room, named by what they do rather than by the program behind them. */
export const MEMBER_ROLES = ['display', 'audio', 'browser', 'input', 'stream'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** Everything a runtime needs to run one room. */
export interface RoomSpec {
  id: string;
  /** X display number, unique among this host's rooms. */
  display: number;
  width: number;
  height: number;
  fps: number;
  videoBitrateKbps: number;
  startUrl: string;
  /** URL patterns (Chromium's URLAllowlist format) the kiosk may open; null/absent: any http(s) page. */
  urlAllowlist?: string[] | null;
  /** Keep logins (issue 14): the browser keeps its profile across starts; absent/false: a fresh one each start. */
  keepLogins?: boolean;
  /** Secret the input service (x11vnc) requires; only the admin service's VNC gateway knows it. */
  vncPassword: string;
  /**
   * Base URL the encoder pushes its fast-path copy to, one FLV stream per track (HTTP POST to
   * `${relayUrl}video` and `${relayUrl}audio`), key included:
   * the admin service's relay. The same encode also goes to RTMP for HLS and external players.
   */
  relayUrl: string;
  /**
   * The encoder's secrets, each handed to it as a file (systemd: LoadCredential=) so that they
   * never appear in its command line: an ffmpeg preset carrying the RTMP publish key, and the
   * `-metadata` value carrying the fast-path ingest key.
   */
  encoderFiles?: { rtmpPreset: string; ingestMetadata: string };
}

/** What a runtime needs to record one room: its stream, and the file the recorder writes. */
export interface RecordingSpec {
  roomId: string;
  /** The room's stream as the recorder plays it (nginx-rtmp on loopback, token included). */
  sourceUrl: string;
  /**
   * The file the recorder writes, created (empty) by the caller beforehand. systemd's unit has
   * it fixed (`recordings/ID/current.mp4` under the data directory); the in-memory runtime
   * writes where it is told.
   */
  outputPath: string;
}

/**
 * Where the admin service reaches a room's input service (x11vnc), as net.connect's options: a
 * unix socket on the appliance, the room Pod's address and port on Kubernetes.
 */
export type InputEndpoint = { path: string } | { host: string; port: number };

/** The live state of one unit (or pod container), in the runtime's own words. */
export interface UnitState {
  unit: string;
  /** systemd's ActiveState: active, activating, deactivating, inactive, failed, reloading. */
  activeState: string;
  subState: string;
  /** Why it last stopped or failed (systemd's Result: success, exit-code, signal, timeout, ...). */
  result: string;
  /** When it entered its current state (ISO 8601), if known. */
  since: string | null;
  /** Restarts since the unit was started (NRestarts), if known. */
  restarts: number | null;
}

export interface RoomRuntimeStatus {
  group: UnitState;
  members: Record<MemberRole, UnitState>;
}

/** A job (start/stop) ended with something other than success. */
export class RuntimeJobError extends Error {
  constructor(
    readonly unit: string,
    readonly result: string,
    message?: string,
    /** The member that failed, or null for the room's group unit. */
    readonly role: MemberRole | null = null,
  ) {
    super(message ?? `${unit}: job ended with result '${result}'`);
    this.name = 'RuntimeJobError';
  }
}

/** The runtime cannot be reached (bus down, API server unreachable). */
export class RuntimeUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeUnavailableError';
  }
}

/** Called when something about a room may have changed; null means "re-read every room". */
export type RuntimeListener = (roomId: string | null) => void;

export interface RoomRuntime {
  /** Stores the room's spec where its processes read it, then starts them and waits until started. */
  start(spec: RoomSpec): Promise<void>;
  /** Stops the room's processes and waits until they are stopped. Idempotent. */
  stop(roomId: string): Promise<void>;
  /** Forgets the room's stored spec and its browser's kept profile (after stop). Idempotent. */
  remove(roomId: string): Promise<void>;
  /** Removes the browser's kept profile of a stopped room ("Reset browser"). Idempotent. */
  cleanProfile(roomId: string): Promise<void>;
  status(roomId: string): Promise<RoomRuntimeStatus>;
  /** Starts the room's recorder (its stream copied into spec.outputPath) and waits until started. */
  startRecording(spec: RecordingSpec): Promise<void>;
  /** Stops the room's recorder and waits until it has written its last fragment. Idempotent. */
  stopRecording(roomId: string): Promise<void>;
  /** Is the room's recorder running (or starting)? */
  isRecording(roomId: string): Promise<boolean>;
  /**
   * Where the room's x11vnc listens now (read at every connection: a restarted Pod has another
   * address). Throws when the room has no address yet (not running, its Pod Pending).
   */
  inputEndpoint(roomId: string): Promise<InputEndpoint>;
  /** IDs of rooms whose group is active or starting, whether or not the store knows them. */
  listRunning(): Promise<string[]>;
  watch(listener: RuntimeListener): () => void;
  /**
   * CPU time the room's member processes have used since each was last started, in nanoseconds
   * (the sum over members that report it), or null when nothing reports it (the room is stopped,
   * or the host keeps no CPU accounting). A member restarting starts its count again.
   */
  cpuTimeNs(roomId: string): Promise<number | null>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}
