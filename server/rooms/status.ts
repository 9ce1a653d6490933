/** Maps the runtime's unit states to the words people see. Pure: the one place this is decided. */
import { MEMBER_ROLES, type MemberRole, type RoomRuntimeStatus, type UnitState } from '../runtime/types.js';
import type { DesiredState, MemberStatus, RoomFailure, RoomRecord, RoomState, RoomStatus } from './types.js';

export function memberState(unit: UnitState): RoomState {
  switch (unit.activeState) {
    case 'active':
    case 'reloading':
      return 'live';
    case 'activating':
      return unit.subState === 'auto-restart' ? 'restarting' : 'starting';
    case 'deactivating':
      return 'stopping';
    case 'failed':
      return 'failed';
    default:
      return 'stopped';
  }
}

const RESULT_WORDS: Record<string, string> = {
  'exit-code': 'exited with an error',
  signal: 'was killed by a signal',
  'core-dump': 'crashed',
  timeout: 'timed out',
  watchdog: 'stopped answering its watchdog',
  'start-limit-hit': 'failed too often in a row; systemd gave up restarting it',
  resources: 'could not be set up (a missing file or resource, e.g. the room env file)',
  'oom-kill': 'ran out of memory',
  protocol: 'broke the service protocol',
  // Kubernetes only (runtime/kubernetes/podState.ts): the node could not pull the container's image.
  image: 'could not get its container image',
};

export function describeResult(result: string): string {
  return RESULT_WORDS[result] ?? `ended with result '${result}'`;
}

export function roomStatus(
  desired: DesiredState,
  runtime: RoomRuntimeStatus | null,
  lastError: RoomFailure | null,
  detail?: string,
): Omit<RoomStatus, 'stopReason'> {
  if (desired === 'deleting') return { state: 'deleting', desiredState: desired, failure: null, members: runtime ? members(runtime) : null };
  if (!runtime) return { state: 'unknown', desiredState: desired, failure: lastError, members: null, ...(detail ? { detail } : {}) };

  const byRole = members(runtime);
  const states = MEMBER_ROLES.map((role) => byRole[role].state);
  const failedRole = MEMBER_ROLES.find((role) => byRole[role].state === 'failed');
  if (failedRole) {
    const unit = runtime.members[failedRole];
    const failure: RoomFailure = { role: failedRole, unit: unit.unit, reason: describeResult(unit.result), at: unit.since ?? new Date(0).toISOString() };
    return { state: 'failed', desiredState: desired, failure, members: byRole };
  }
  const all = (s: RoomState) => states.every((x) => x === s);
  const any = (s: RoomState) => states.includes(s);
  let state: RoomState;
  if (desired === 'stopped') state = all('stopped') ? 'stopped' : 'stopping';
  else if (all('live')) state = 'live';
  else if (any('restarting')) state = 'restarting';
  else if (any('starting') || any('live')) state = 'starting';
  else if (any('stopping')) state = 'stopping';
  else state = lastError ? 'failed' : 'stopped';
  return { state, desiredState: desired, failure: state === 'failed' ? lastError : null, members: byRole };
}

/** Why a room that is wanted stopped is stopped (older rows without a reason: its admin). */
export function withStopReason(status: Omit<RoomStatus, 'stopReason'>, room: Pick<RoomRecord, 'desiredState' | 'stopReason'>): RoomStatus {
  return { ...status, stopReason: room.desiredState === 'stopped' ? (room.stopReason ?? 'admin') : null };
}

function members(runtime: RoomRuntimeStatus): Record<MemberRole, MemberStatus> {
  return Object.fromEntries(
    MEMBER_ROLES.map((role) => {
      const u = runtime.members[role];
      return [role, { unit: u.unit, state: memberState(u), activeState: u.activeState, subState: u.subState, since: u.since, restarts: u.restarts }];
    }),
  ) as Record<MemberRole, MemberStatus>;
}
