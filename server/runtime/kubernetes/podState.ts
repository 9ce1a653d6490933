/**
 * A room's Pod, read as the systemd runtime reads its units: UnitState in systemd's own words
 * (activeState, subState, result), so rooms/status.ts gives the same status words and failure
 * reasons whichever runtime runs the room. Pure: one function per question, no API calls.
 *
 * Container state → unit state (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states):
 * - running, started (its startup probe passed)          → active/running          (live)
 * - running, not yet started; waiting ContainerCreating  → activating/start        (starting)
 * - terminated (restartPolicy Always: it comes back)     → activating/auto-restart (restarting)
 * - waiting CrashLoopBackOff                             → activating/auto-restart, and after
 *   CRASH_LIMIT restarts failed, with why it last ended: the kubelet never gives up, but a member
 *   that died that often is what systemd's start limit (StartLimitBurst=5) calls failed. It is
 *   still retried, and reads live again when it comes back.
 * - waiting on its image, or on its configuration (a missing Secret key) → failed
 * Why a container ended (lastState/state.terminated) → systemd's Result: OOMKilled → oom-kill,
 * killed by a signal (exit code 128+N) → signal, another non-zero exit → exit-code.
 * The Pod being deleted (metadata.deletionTimestamp) → deactivating; no Pod → inactive/dead.
 * A Pod the scheduler cannot place (PodScheduled=False, reason Unschedulable) has no member
 * running: its members read inactive, and the room reads failed with the error start() gave.
 */
import type { V1ContainerState, V1ContainerStateTerminated, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { MEMBER_ROLES, type MemberRole, type RoomRuntimeStatus, type UnitState } from '../types.js';
import { groupUnit, memberUnit } from './names.js';

/** Restarts in CrashLoopBackOff after which a member reads failed (the units' StartLimitBurst=5). */
export const CRASH_LIMIT = 5;

const IMAGE_WAITS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const CONFIG_WAITS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'PreCreateHookError', 'PostStartHookError']);

/** Timestamps are Dates from typed calls and strings from the watch's raw JSON. */
function iso(value: Date | string | undefined | null): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function isDeleting(pod: V1Pod): boolean {
  return Boolean(pod.metadata?.deletionTimestamp);
}

/** The scheduler's word when the Pod fits on no node, or null (scheduled, or not tried yet). */
export function unschedulable(pod: V1Pod): string | null {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (!c || c.status !== 'False' || c.reason !== 'Unschedulable') return null;
  return c.message || 'no node has room for it';
}

/** systemd's Result for a container that ended. */
export function resultOf(t: V1ContainerStateTerminated | undefined): string {
  if (!t) return 'success';
  if (t.reason === 'OOMKilled') return 'oom-kill';
  if (t.signal || (t.exitCode > 128 && t.exitCode < 128 + 65)) return 'signal';
  return t.exitCode === 0 ? 'success' : 'exit-code';
}

function unit(name: string, activeState: string, subState: string, result: string, since: string | null, restarts: number | null): UnitState {
  return { unit: name, activeState, subState, result, since, restarts };
}

function memberState(name: string, cs: V1ContainerStatus | undefined, pod: V1Pod): UnitState {
  if (!cs) return isDeleting(pod) || unschedulable(pod) ? unit(name, 'inactive', 'dead', 'success', null, null) : unit(name, 'activating', 'start', 'success', null, 0);
  const state: V1ContainerState = cs.state ?? {};
  const last = cs.lastState?.terminated;
  const restarts = cs.restartCount ?? 0;
  if (isDeleting(pod)) {
    return state.running ? unit(name, 'deactivating', 'stop-sigterm', 'success', iso(state.running.startedAt), restarts) : unit(name, 'inactive', 'dead', resultOf(state.terminated), iso(state.terminated?.finishedAt), restarts);
  }
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
    const t = state.terminated ?? last;
    const result = resultOf(t);
    return unit(name, result === 'success' ? 'inactive' : 'failed', result === 'success' ? 'dead' : 'failed', result, iso(t?.finishedAt), restarts);
  }
  if (state.running) return cs.started === false ? unit(name, 'activating', 'start', 'success', iso(state.running.startedAt), restarts) : unit(name, 'active', 'running', 'success', iso(state.running.startedAt), restarts);
  if (state.terminated) return unit(name, 'activating', 'auto-restart', resultOf(state.terminated), iso(state.terminated.finishedAt), restarts);
  const reason = state.waiting?.reason ?? '';
  if (reason === 'CrashLoopBackOff') {
    const result = last ? resultOf(last) : 'exit-code';
    return restarts >= CRASH_LIMIT ? unit(name, 'failed', 'failed', result, iso(last?.finishedAt), restarts) : unit(name, 'activating', 'auto-restart', result, iso(last?.finishedAt), restarts);
  }
  // No systemd Result says "no image"; rooms/status.ts has the words for 'image'.
  if (IMAGE_WAITS.has(reason)) return unit(name, 'failed', 'failed', 'image', null, restarts);
  // What systemd calls 'resources': what the member needs to start is missing (its env file there).
  if (CONFIG_WAITS.has(reason)) return unit(name, 'failed', 'failed', 'resources', null, restarts);
  return unit(name, 'activating', 'start', 'success', null, restarts);
}

function groupState(roomId: string, pod: V1Pod): UnitState {
  const name = groupUnit(roomId);
  const since = iso(pod.status?.startTime ?? pod.metadata?.creationTimestamp);
  if (isDeleting(pod)) return unit(name, 'deactivating', 'stop', 'success', iso(pod.metadata?.deletionTimestamp), null);
  switch (pod.status?.phase) {
    case 'Running':
      return unit(name, 'active', 'running', 'success', since, null);
    case 'Succeeded':
      return unit(name, 'inactive', 'dead', 'success', since, null);
    case 'Failed':
      return unit(name, 'failed', 'failed', pod.status.reason ?? 'failed', since, null);
    default:
      return unschedulable(pod) ? unit(name, 'activating', 'unschedulable', 'Unschedulable', since, null) : unit(name, 'activating', 'pending', 'success', since, null);
  }
}

const stopped = (name: string) => unit(name, 'inactive', 'dead', 'success', null, null);

/** The room's status from its Pod (null: there is none). */
export function roomStatusOf(roomId: string, pod: V1Pod | null): RoomRuntimeStatus {
  const members = {} as Record<MemberRole, UnitState>;
  for (const role of MEMBER_ROLES) {
    const name = memberUnit(role, roomId);
    members[role] = pod ? memberState(name, pod.status?.containerStatuses?.find((cs) => cs.name === role), pod) : stopped(name);
  }
  return { group: pod ? groupState(roomId, pod) : stopped(groupUnit(roomId)), members };
}

/** The room is running or starting (systemd: its target active or activating). */
export function isRunning(pod: V1Pod): boolean {
  return !isDeleting(pod) && (pod.status?.phase === undefined || pod.status.phase === 'Pending' || pod.status.phase === 'Running');
}

/**
 * Has the start settled, as systemd's start job does: every member started, or ran and ended (it
 * failed, or waits to be restarted). A member that failed does not fail the start (a target's job
 * is "done" even then): status() names it.
 */
export function startSettled(roomId: string, pod: V1Pod): boolean {
  const { members } = roomStatusOf(roomId, pod);
  return MEMBER_ROLES.every((role) => {
    const m = members[role];
    return m.activeState === 'active' || m.activeState === 'failed' || m.subState === 'auto-restart';
  });
}
