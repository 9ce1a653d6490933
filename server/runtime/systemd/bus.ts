/**
 * A thin, typed connection to systemd's manager over the D-Bus system bus.
 *
 * This is the only module (with its siblings in runtime/systemd/) that imports dbus-next.
 *
 * Quirks of the systemd D-Bus API and of dbus-next, learned the hard way:
 * - systemd emits no unit or job signals to a client until it calls Manager.Subscribe(), and the
 *   subscription dies with the connection: call it again after every reconnect.
 * - Signals still need a match rule (org.freedesktop.DBus.AddMatch) or the bus daemon does not
 *   route them to us. dbus-next's proxy objects add rules per proxy and introspect every object
 *   (a round trip each); we use plain messages and two broad match rules instead.
 * - StartUnit/StopUnit return a job path as soon as the job is queued; the job is finished only when
 *   JobRemoved(id, path, unit, result) arrives for that path. The signal can be processed before the
 *   method reply is, so JobRemoved results are kept for a while and the waiter checks them first.
 * - A target's job ends "done" even when a Wants= member failed: read the members' states.
 * - dbus-next's systemBus() ignores a busAddress option and reads only DBUS_SYSTEM_BUS_ADDRESS;
 *   sessionBus({ busAddress }) connects to any address, so we use that with an explicit address.
 * - dbus-next's MessageBus emits no event when the socket closes: we watch the underlying
 *   connection's 'end'/'close'. Calls in flight on a dead connection never settle, so every call
 *   here has a timeout.
 * - Properties arrive as Variants ({ signature, value }); 't' (uint64) values are BigInt.
 * - Match rules filter only broadcast signals: any client may send a *unicast* signal to our
 *   unique name with any interface and member, and the bus delivers it (a fake JobRemoved would
 *   settle a job we wait for). So a signal counts only when its sender is systemd's unique name
 *   (GetNameOwner, which the bus daemon, not the sender, vouches for). A new owner of the name
 *   (systemd re-executed, or the bus restarted it) closes the connection: the runtime reconnects,
 *   subscribes again and re-reads everything.
 */
import dbus from 'dbus-next';
import { EventEmitter } from 'node:events';

const { Message } = dbus;

export const SYSTEMD_NAME = 'org.freedesktop.systemd1';
export const MANAGER_PATH = '/org/freedesktop/systemd1';
export const I_MANAGER = 'org.freedesktop.systemd1.Manager';
export const I_UNIT = 'org.freedesktop.systemd1.Unit';
export const I_SERVICE = 'org.freedesktop.systemd1.Service';
export const I_PROPS = 'org.freedesktop.DBus.Properties';
const DBUS_NAME = 'org.freedesktop.DBus';
const DBUS_PATH = '/org/freedesktop/DBus';

export const DEFAULT_SYSTEM_BUS = 'unix:path=/run/dbus/system_bus_socket';

export class BusCallError extends Error {
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(message);
    this.name = 'BusCallError';
  }
}

export class BusTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'BusTimeoutError';
  }
}

export interface JobRemoved {
  jobPath: string;
  unit: string;
  result: string;
}

export interface PropertiesChanged {
  path: string;
  iface: string;
  changed: Record<string, unknown>;
}

/** Events: 'jobRemoved' (JobRemoved), 'propertiesChanged' (PropertiesChanged), 'reloaded' (), 'closed' (Error?). */
export class SystemdBus extends EventEmitter {
  private closed = false;
  /** systemd's unique bus name (":1.2"): the only sender whose signals we believe. */
  private systemdOwner: string | null = null;
  /** Signals dropped because someone other than systemd sent them (for tests and diagnostics). */
  rejectedSignals = 0;
  /** JobRemoved results that arrived before anyone waited for them (see the header). */
  private readonly recentJobs = new Map<string, { result: string; at: number }>();
  private readonly jobWaiters = new Map<string, { resolve: (result: string) => void; reject: (err: Error) => void }>();

  private constructor(
    private readonly bus: dbus.MessageBus,
    private readonly callTimeoutMs: number,
  ) {
    super();
  }

  /** Connects, subscribes to systemd's signals and installs the match rules. */
  static async connect(address: string, callTimeoutMs = 10_000): Promise<SystemdBus> {
    const raw = dbus.sessionBus({ busAddress: address, authMethods: ['EXTERNAL'] });
    const conn = new SystemdBus(raw, callTimeoutMs);
    await conn.attach();
    return conn;
  }

  private async attach(): Promise<void> {
    const internal = (this.bus as unknown as { _connection: EventEmitter & { stream: EventEmitter } })._connection;
    const onClosed = (err?: unknown) => this.markClosed(err instanceof Error ? err : undefined);
    internal.stream.on('close', () => onClosed());
    internal.on('end', () => onClosed());
    this.bus.on('error', (err) => onClosed(err));
    this.bus.on('message', (msg) => this.onMessage(msg));

    await withTimeout(
      new Promise<void>((resolve, reject) => {
        this.bus.once('connect', () => resolve());
        this.bus.once('error', reject);
      }),
      this.callTimeoutMs,
      'D-Bus connection',
    );
    // The owner watch first, so no change of owner falls between it and GetNameOwner.
    await this.callDbus('AddMatch', 's', [`type='signal',sender='${DBUS_NAME}',interface='${DBUS_NAME}',member='NameOwnerChanged',arg0='${SYSTEMD_NAME}'`]);
    const [owner] = (await this.callDbus('GetNameOwner', 's', [SYSTEMD_NAME])) as [string];
    this.systemdOwner = owner;
    await this.callDbus('AddMatch', 's', [`type='signal',sender='${SYSTEMD_NAME}',interface='${I_MANAGER}'`]);
    await this.callDbus('AddMatch', 's', [`type='signal',sender='${SYSTEMD_NAME}',interface='${I_PROPS}',member='PropertiesChanged'`]);
    await this.call(MANAGER_PATH, I_MANAGER, 'Subscribe');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.markClosed();
  }

  private markClosed(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.bus.disconnect();
    } catch {
      // already gone
    }
    for (const waiter of this.jobWaiters.values()) waiter.reject(new BusCallError('streambox.Disconnected', 'the D-Bus connection closed while waiting for a job'));
    this.jobWaiters.clear();
    this.emit('closed', err);
  }

  private onMessage(msg: dbus.Message): void {
    if (msg.type !== dbus.MessageType.SIGNAL) return;
    // The bus daemon itself sends as "org.freedesktop.DBus"; no client can take that name.
    if (msg.sender === DBUS_NAME && msg.interface === DBUS_NAME && msg.member === 'NameOwnerChanged') {
      const [name, , newOwner] = msg.body as [string, string, string];
      if (name === SYSTEMD_NAME && this.systemdOwner !== null && newOwner !== this.systemdOwner) {
        this.markClosed(new Error(`systemd's bus name moved from ${this.systemdOwner} to ${newOwner || 'nobody'}`));
      }
      return;
    }
    if (this.systemdOwner === null || msg.sender !== this.systemdOwner) {
      this.rejectedSignals++;
      return;
    }
    if (msg.interface === I_MANAGER && msg.member === 'JobRemoved' && msg.path === MANAGER_PATH) {
      const [, jobPath, unit, result] = msg.body as [number, string, string, string];
      const waiter = this.jobWaiters.get(jobPath);
      if (waiter) {
        this.jobWaiters.delete(jobPath);
        waiter.resolve(result);
      } else {
        this.rememberJob(jobPath, result);
      }
      this.emit('jobRemoved', { jobPath, unit, result } satisfies JobRemoved);
    } else if (msg.interface === I_MANAGER && msg.member === 'Reloading' && msg.path === MANAGER_PATH) {
      const [starting] = msg.body as [boolean];
      if (!starting) this.emit('reloaded');
    } else if (msg.interface === I_PROPS && msg.member === 'PropertiesChanged') {
      const [iface, changed] = msg.body as [string, Record<string, dbus.Variant>];
      this.emit('propertiesChanged', { path: msg.path, iface, changed: unwrapVariants(changed) } satisfies PropertiesChanged);
    }
  }

  private rememberJob(jobPath: string, result: string): void {
    const now = Date.now();
    this.recentJobs.set(jobPath, { result, at: now });
    // Keep the buffer small: results nobody claimed within a minute never will be.
    for (const [path, entry] of this.recentJobs) {
      if (now - entry.at < 60_000) break;
      this.recentJobs.delete(path);
    }
  }

  /** Calls a method on systemd. Rejects with BusCallError for D-Bus errors and BusTimeoutError. */
  async call(path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
    return this.send(SYSTEMD_NAME, path, iface, member, signature, body);
  }

  private async callDbus(member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    return this.send(DBUS_NAME, DBUS_PATH, DBUS_NAME, member, signature, body);
  }

  private async send(destination: string, path: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    if (this.closed) throw new BusCallError('streambox.Disconnected', 'the D-Bus connection is closed');
    const msg = new Message({ destination, path, interface: iface, member, signature, body });
    try {
      const reply = await withTimeout(this.bus.call(msg), this.callTimeoutMs, `${iface}.${member}`);
      return reply?.body ?? [];
    } catch (err) {
      if (err instanceof dbus.DBusError) throw new BusCallError(err.type, err.text || err.message);
      throw err;
    }
  }

  /**
   * Queues a job (StartUnit/StopUnit/RestartUnit) and resolves with its result once systemd removes it.
   * The waiter is registered synchronously when the reply arrives; a JobRemoved that came first is
   * found in recentJobs.
   */
  async runJob(method: 'StartUnit' | 'StopUnit', unit: string, timeoutMs: number): Promise<string> {
    const [jobPath] = (await this.call(MANAGER_PATH, I_MANAGER, method, 'ss', [unit, 'replace'])) as [string];
    const early = this.recentJobs.get(jobPath);
    if (early) {
      this.recentJobs.delete(jobPath);
      return early.result;
    }
    return withTimeout(
      new Promise<string>((resolve, reject) => {
        this.jobWaiters.set(jobPath, { resolve, reject });
      }),
      timeoutMs,
      `${method} ${unit}`,
    ).finally(() => this.jobWaiters.delete(jobPath));
  }

  /** Object path of a unit, loading it if needed (works for units that are not running). */
  async unitPath(unit: string): Promise<string> {
    const [path] = (await this.call(MANAGER_PATH, I_MANAGER, 'LoadUnit', 's', [unit])) as [string];
    return path;
  }

  async getAll(path: string, iface: string): Promise<Record<string, unknown>> {
    const [props] = (await this.call(path, I_PROPS, 'GetAll', 's', [iface])) as [Record<string, dbus.Variant>];
    return unwrapVariants(props);
  }

  /** Units systemd has loaded whose names match any of the glob patterns. */
  async listUnitsByPatterns(patterns: string[]): Promise<Array<{ name: string; activeState: string; subState: string }>> {
    const [units] = (await this.call(MANAGER_PATH, I_MANAGER, 'ListUnitsByPatterns', 'asas', [[], patterns])) as [unknown[][]];
    return units.map((u) => ({ name: String(u[0]), activeState: String(u[3]), subState: String(u[4]) }));
  }
}

function unwrapVariants(props: Record<string, dbus.Variant>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, variant] of Object.entries(props)) out[key] = variant?.value;
  return out;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BusTimeoutError(what, ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
