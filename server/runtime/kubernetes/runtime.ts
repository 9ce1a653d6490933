/**
 * RoomRuntime on Kubernetes: a room is the Pod `room-ID` with its five members as containers and
 * its spec in the Secret `room-ID` (podSpec.ts); the recorder is the Pod `recorder-ID`
 * (recorderSpec.ts). Statuses are the Pod's container statuses in systemd's words (podState.ts);
 * changes come from the API's watch (podWatch.ts); the VNC gateway reaches x11vnc at the Pod's IP
 * (inputAddress.ts).
 *
 * What the API does and systemd did not, and how it is met here:
 * - Creating is not starting: a Pod exists at once and starts when the scheduler has placed it
 *   and the kubelet has pulled its image. start() waits, like a systemd start job, until every
 *   member started or ended, or the scheduler said the room fits nowhere (PodScheduled=False,
 *   Unschedulable: a RuntimeJobError saying so; the Pod stays, the scheduler retries it).
 * - Deleting is not stopping: a deleted Pod lingers, terminating (metadata.deletionTimestamp),
 *   until its containers are gone. stop() waits until the Pod is gone, as systemd's stop job did.
 * - A create of what exists is 409 AlreadyExists: start() of a running room is a no-op (systemd's
 *   StartUnit of an active unit), of a terminating one waits for it to go first.
 */
import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { RuntimeJobError, RuntimeUnavailableError, type InputEndpoint, type MemberRole, type RecordingSpec, type RoomRuntime, type RoomRuntimeStatus, type RoomSpec, type RuntimeListener } from '../types.js';
import type { Logger } from '../../log.js';
import { KubeApi, isConflict, isNotFound } from './api.js';
import { runtimeError } from './failures.js';
import { Wakers } from './wakers.js';
import { groupUnit, memberUnit, profileClaimName, recorderPodName, recorderSecretName, roomOf, roomPodName, roomSecretName, selector } from './names.js';
import { profileClaim, roomPod, roomSecret, STOP_GRACE_SECONDS, type PodOptions } from './podSpec.js';
import { recorderPod, recorderSecret } from './recorderSpec.js';
import { isDeleting, isRunning, resultOf, roomStatusOf, startSettled, unschedulable } from './podState.js';
import { PodWatch } from './podWatch.js';
import { inputAddress } from './inputAddress.js';

export interface KubernetesRuntimeOptions {
  /** A kubeconfig file (development); null: in the cluster, with the Pod's service account. */
  kubeconfig: string | null;
  /** Where rooms go; null: the kubeconfig context's, or the service account's, namespace. */
  namespace: string | null;
  /** The room image (Xvfb, PulseAudio, Chromium, x11vnc, ffmpeg), also the recorder's. */
  image: string;
  /** ffmpeg publishes to `${rtmpUrlBase}/ID`: nginx-rtmp's Service. */
  rtmpUrlBase: string;
  /** The claim holding the recordings, shared with the admin service. */
  recordingsClaim: string;
  /** Size of a kept browser profile (rooms that keep logins). */
  profileSize?: string;
  /** Cores a room of this shape costs (rooms/capacity.ts): its Pod's CPU requests. */
  roomCores: (shape: Pick<RoomSpec, 'width' | 'height' | 'fps'>) => number;
  log: Logger;
  /** How long start and stop wait (systemd's job timeout: 90 s). */
  jobTimeoutMs?: number;
  callTimeoutMs?: number;
  reconnectDelayMs?: number;
  /** How often a wait reads the Pod again when no watch event came first. */
  pollMs?: number;
}

const RECORDER_UNIT = (roomId: string) => recorderPodName(roomId);

export class KubernetesRuntime implements RoomRuntime {
  private readonly api: KubeApi;
  private readonly listeners = new Set<RuntimeListener>();
  /** Waits for a room's objects, woken early by the watch. */
  private readonly wakers = new Wakers();
  private readonly podWatch: PodWatch;
  private readonly jobTimeoutMs: number;
  private closing = false;

  constructor(private readonly opts: KubernetesRuntimeOptions) {
    this.api = new KubeApi({ kubeconfig: opts.kubeconfig, namespace: opts.namespace, callTimeoutMs: opts.callTimeoutMs });
    this.jobTimeoutMs = opts.jobTimeoutMs ?? 90_000;
    this.podWatch = new PodWatch({
      api: this.api,
      labelSelector: selector(),
      log: opts.log,
      onRoom: (roomId) => this.changed(roomId),
      onResync: () => this.changed(null),
      reconnectDelayMs: opts.reconnectDelayMs,
    });
  }

  get namespace(): string {
    return this.api.namespace;
  }

  private podOptions(spec: RoomSpec): PodOptions {
    return { namespace: this.api.namespace, image: this.opts.image, rtmpUrlBase: this.opts.rtmpUrlBase, cores: this.opts.roomCores(spec), profileSize: this.opts.profileSize ?? '1Gi' };
  }

  async start(spec: RoomSpec): Promise<void> {
    const unit = groupUnit(spec.id);
    const opts = this.podOptions(spec);
    const secret = roomSecret(spec, opts);
    // An older Pod of the room still terminating must be gone first; a running one is this room.
    await this.untilPod(spec.id, roomPodName(spec.id), unit, (pod) => pod === null || !isDeleting(pod));
    await this.guard(unit, null, async () => {
      // The Secret first, so the Pod never waits for it; owned by the Pod once that exists.
      await this.createOrReplaceSecret(secret);
      if (spec.keepLogins) await this.api.createClaim(profileClaim(spec.id, opts)).catch((err) => (isConflict(err) ? undefined : Promise.reject(err)));
      const pod = await this.createPod(roomPod(spec, opts), unit);
      await this.api.replaceSecret({ ...secret, metadata: { ...secret.metadata, ownerReferences: [ownerOf(pod)] } });
    });
    await this.untilPod(spec.id, roomPodName(spec.id), unit, (pod) => {
      if (!pod) throw new RuntimeJobError(unit, 'deleted', `${unit} was deleted while it started`);
      const why = unschedulable(pod);
      if (why) throw new RuntimeJobError(unit, 'Unschedulable', `${unit}: no node can run this room (Unschedulable: ${why})`);
      return startSettled(spec.id, pod);
    });
  }

  async stop(roomId: string): Promise<void> {
    const unit = groupUnit(roomId);
    // The recorder first (the unit was PartOf= the room), then the room; both gone before this returns.
    for (const name of [recorderPodName(roomId), roomPodName(roomId)]) {
      await this.guard(unit, null, () => this.api.deletePod(name, STOP_GRACE_SECONDS).catch(ignoreNotFound));
    }
    await this.untilPodGone(roomId, recorderPodName(roomId), unit);
    await this.untilPodGone(roomId, roomPodName(roomId), unit);
    // The garbage collector would take them too (owned by the Pods); a stopped room leaves nothing.
    await this.guard(unit, null, () => Promise.all([this.api.deleteSecret(roomSecretName(roomId)).catch(ignoreNotFound), this.api.deleteSecret(recorderSecretName(roomId)).catch(ignoreNotFound)]));
  }

  async remove(roomId: string): Promise<void> {
    await this.cleanProfile(roomId);
    await this.guard(groupUnit(roomId), null, () => this.api.deleteSecret(roomSecretName(roomId)).catch(ignoreNotFound));
  }

  async cleanProfile(roomId: string): Promise<void> {
    const unit = memberUnit('browser', roomId);
    const pod = await this.readPod(roomPodName(roomId), unit);
    // systemd refuses to clean a unit that is not inactive (CleanUnit: UnitBusy): so does this.
    if (pod) throw new RuntimeJobError(unit, 'clean-failed', `${unit}: the room's Pod still exists; stop the room before removing its profile`, 'browser');
    const claim = profileClaimName(roomId);
    await this.guard(unit, 'browser', () => this.api.deleteClaim(claim).catch(ignoreNotFound));
    // A claim in use or protected lingers until released: wait, so a start after this gets a new one.
    const claimExists = () => this.guard(unit, 'browser', () => this.api.readClaim(claim).then(() => true, (err) => (isNotFound(err) ? false : Promise.reject(err))));
    await this.until(roomId, unit, claimExists, (exists) => !exists);
  }

  async status(roomId: string): Promise<RoomRuntimeStatus> {
    return roomStatusOf(roomId, await this.readPod(roomPodName(roomId), groupUnit(roomId)));
  }

  async startRecording(spec: RecordingSpec): Promise<void> {
    const unit = RECORDER_UNIT(spec.roomId);
    const room = await this.readPod(roomPodName(spec.roomId), unit);
    if (!room || isDeleting(room)) throw new RuntimeJobError(unit, 'NoSuchUnit', `${unit}: the room's Pod is not running`);
    const existing = await this.readPod(unit, unit);
    if (existing && isRunning(existing)) return; // StartUnit of an active unit
    // A finished recorder stays (restartPolicy Never) until deleted: a new recording needs a new Pod.
    if (existing) await this.guard(unit, null, () => this.api.deletePod(unit, 0).catch(ignoreNotFound));
    await this.untilPodGone(spec.roomId, unit, unit);
    const opts = { namespace: this.api.namespace, image: this.opts.image, recordingsClaim: this.opts.recordingsClaim };
    await this.guard(unit, null, async () => {
      await this.createOrReplaceSecret(recorderSecret(spec, opts));
      const pod = await this.createPod(recorderPod(spec, opts, ownerOf(room)), unit);
      await this.api.replaceSecret(recorderSecret(spec, opts, ownerOf(pod)));
    });
    await this.untilPod(spec.roomId, unit, unit, (pod) => {
      if (!pod) throw new RuntimeJobError(unit, 'deleted', `${unit} was deleted while it started`);
      const cs = pod.status?.containerStatuses?.[0];
      if (cs?.state?.terminated) throw new RuntimeJobError(unit, resultOf(cs.state.terminated), `${unit}: the recorder ended at once (${cs.state.terminated.reason ?? `exit code ${cs.state.terminated.exitCode}`})`);
      if (unschedulable(pod)) throw new RuntimeJobError(unit, 'Unschedulable', `${unit}: no node can run the recorder (${unschedulable(pod)})`);
      return Boolean(cs?.state?.running);
    });
  }

  async stopRecording(roomId: string): Promise<void> {
    const unit = RECORDER_UNIT(roomId);
    // SIGTERM: ffmpeg writes its last fragment and exits, within the grace period.
    await this.guard(unit, null, () => this.api.deletePod(unit, STOP_GRACE_SECONDS).catch(ignoreNotFound));
    await this.untilPodGone(roomId, unit, unit);
    await this.guard(unit, null, () => this.api.deleteSecret(recorderSecretName(roomId)).catch(ignoreNotFound));
  }

  async isRecording(roomId: string): Promise<boolean> {
    const pod = await this.readPod(RECORDER_UNIT(roomId), RECORDER_UNIT(roomId));
    return pod !== null && isRunning(pod);
  }

  /** The room Pod's IP and x11vnc's port, read from the API at each call (a new Pod, a new IP). */
  async inputEndpoint(roomId: string): Promise<InputEndpoint> {
    const unit = memberUnit('input', roomId);
    const address = inputAddress(await this.readPod(roomPodName(roomId), unit));
    if ('why' in address) throw new RuntimeJobError(unit, address.result, `${unit}: nowhere to reach x11vnc: ${address.why}`, 'input');
    return address;
  }

  async listRunning(): Promise<string[]> {
    const { items } = await this.guard('pods', null, () => this.api.listPods(selector(undefined, 'room')));
    return items.filter(isRunning).map((pod) => roomOf(pod)).filter((id): id is string => id !== null);
  }

  /**
   * Null: no API a namespaced Role can read reports CPU time. metrics.k8s.io gives a rate over a
   * window, not a counter, and the kubelet's stats/summary (which has one) is reached through
   * nodes/proxy, a cluster-wide permission the admin service should not hold.
   */
  async cpuTimeNs(_roomId: string): Promise<number | null> {
    return null;
  }

  watch(listener: RuntimeListener): () => void {
    this.listeners.add(listener);
    if (!this.closing) this.podWatch.start();
    return () => this.listeners.delete(listener);
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      const version = await this.guard('version', null, () => this.api.serverVersion());
      const running = await this.listRunning();
      return { ok: true, detail: `Kubernetes ${version}, namespace ${this.api.namespace}, ${running.length} room pod(s)` };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.podWatch.stop();
    this.listeners.clear();
    this.wakers.wake(null);
  }

  private async createOrReplaceSecret(body: ReturnType<typeof roomSecret>): Promise<void> {
    await this.api.createSecret(body).catch((err) => (isConflict(err) ? this.api.replaceSecret(body) : Promise.reject(err)));
  }

  /** Creates the Pod; one that exists (409 AlreadyExists) is the one started before. */
  private async createPod(body: V1Pod, unit: string): Promise<V1Pod> {
    try {
      return await this.api.createPod(body);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const pod = await this.readPod(body.metadata?.name ?? '', unit);
      if (!pod || isDeleting(pod)) throw new RuntimeJobError(unit, 'conflict', `${unit}: an older Pod of this name is still terminating`);
      return pod;
    }
  }

  private async readPod(name: string, unit: string): Promise<V1Pod | null> {
    return this.guard(unit, null, () => this.api.readPod(name).catch((err) => (isNotFound(err) ? null : Promise.reject(err))));
  }

  private untilPod(roomId: string, name: string, unit: string, done: (pod: V1Pod | null) => boolean): Promise<void> {
    return this.until(roomId, unit, () => this.readPod(name, unit), done);
  }

  private untilPodGone(roomId: string, name: string, unit: string): Promise<void> {
    return this.untilPod(roomId, name, unit, (pod) => pod === null);
  }

  /** Reads until `done` says so (or throws), woken by the watch or every pollMs; a timeout is a job error. */
  private async until<T>(roomId: string, unit: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<void> {
    const deadline = Date.now() + this.jobTimeoutMs;
    for (;;) {
      if (this.closing) throw new RuntimeUnavailableError('the runtime is closed');
      if (done(await read())) return;
      if (Date.now() > deadline) throw new RuntimeJobError(unit, 'timeout', `${unit}: not done within ${this.jobTimeoutMs} ms`);
      await this.wakers.sleep(roomId, this.opts.pollMs ?? 250);
    }
  }

  private changed(roomId: string | null): void {
    this.wakers.wake(roomId);
    for (const listener of this.listeners) {
      try {
        listener(roomId);
      } catch (err) {
        this.opts.log.error('runtime listener failed', { err: (err as Error).message });
      }
    }
  }

  /** Runs API calls; their failures in the runtime's terms (failures.ts). */
  private async guard<T>(unit: string, role: MemberRole | null, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw runtimeError(err, unit, role, this.api.server);
    }
  }
}

function ownerOf(pod: V1Pod): V1OwnerReference {
  return { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
}

function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}
