/**
 * A Pod's container statuses read in systemd's words (server/runtime/kubernetes/podState.ts), and
 * the status words people see from them (server/rooms/status.ts): the same words and failure
 * reasons as for the systemd runtime. Pure: Pods as the API returns them (container states from
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states).
 */
import { describe, expect, it } from 'vitest';
import { CRASH_LIMIT, isRunning, roomStatusOf, startSettled } from '../../server/runtime/kubernetes/podState.js';
import { MEMBER_ROLES, type MemberRole } from '../../server/runtime/types.js';
import { roomStatus } from '../../server/rooms/status.js';

// The client's types, as the runtime's own signatures carry them (only the runtime imports the client).
type V1Pod = NonNullable<Parameters<typeof roomStatusOf>[1]>;
type V1ContainerStatus = NonNullable<NonNullable<V1Pod['status']>['containerStatuses']>[number];

const ID = 'abcdefghijklmnopqrstuvwx';
const AT = '2026-12-03T12:00:00Z';
const running: V1ContainerStatus['state'] = { running: { startedAt: AT as unknown as Date } };

function status(name: MemberRole, extra: Partial<V1ContainerStatus> = {}): V1ContainerStatus {
  return { name, image: 'room', imageID: '', ready: true, started: true, restartCount: 0, state: running, ...extra };
}

function pod(overrides: Partial<Record<MemberRole, Partial<V1ContainerStatus>>> = {}, podStatus: V1Pod['status'] = { phase: 'Running' }, metadata: V1Pod['metadata'] = {}): V1Pod {
  return { metadata: { name: `room-${ID}`, ...metadata }, status: { ...podStatus, containerStatuses: MEMBER_ROLES.map((r) => status(r, overrides[r])) } };
}

const words = (p: V1Pod | null, desired: 'running' | 'stopped' = 'running') => roomStatus(desired, roomStatusOf(ID, p), null);

describe("a room's Pod in systemd's words", () => {
  it('no Pod: stopped, every member inactive', () => {
    const st = roomStatusOf(ID, null);
    expect(st.group).toMatchObject({ unit: `room-${ID}`, activeState: 'inactive' });
    expect(st.members.browser).toMatchObject({ unit: `room-${ID}/browser`, activeState: 'inactive', result: 'success' });
    expect(words(null, 'stopped').state).toBe('stopped');
  });

  it('every container running and started: live, with since and restarts', () => {
    const st = roomStatusOf(ID, pod({ stream: { restartCount: 2 } }));
    expect(st.group.activeState).toBe('active');
    expect(st.members.stream).toMatchObject({ activeState: 'active', subState: 'running', since: new Date(AT).toISOString(), restarts: 2 });
    expect(words(pod()).state).toBe('live');
  });

  it('a startup probe not yet passed, or a container being created: starting', () => {
    expect(words(pod({ input: { started: false } })).state).toBe('starting');
    expect(words(pod({ browser: { state: { waiting: { reason: 'ContainerCreating' } }, started: false } }, { phase: 'Pending' })).state).toBe('starting');
  });

  it('a container that just ended, or in back-off under the limit: restarting, with why it ended', () => {
    const ended = pod({ stream: { state: { terminated: { exitCode: 1, reason: 'Error' } }, restartCount: 1 } });
    expect(roomStatusOf(ID, ended).members.stream).toMatchObject({ activeState: 'activating', subState: 'auto-restart', result: 'exit-code' });
    expect(words(ended).state).toBe('restarting');
    const backoff = pod({ audio: { state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 137, reason: 'Error' } }, restartCount: CRASH_LIMIT - 1 } });
    expect(roomStatusOf(ID, backoff).members.audio).toMatchObject({ subState: 'auto-restart', result: 'signal' });
    expect(words(backoff).state).toBe('restarting');
  });

  it('crash-looping past the limit: failed, naming the member and why, in the systemd words', () => {
    const crashing = (exitCode: number, reason = 'Error') => pod({ browser: { state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode, reason, finishedAt: AT as unknown as Date } }, restartCount: CRASH_LIMIT } });
    const w = words(crashing(3));
    expect(w.state).toBe('failed');
    expect(w.failure).toMatchObject({ role: 'browser', unit: `room-${ID}/browser`, reason: 'exited with an error', at: new Date(AT).toISOString() });
    expect(words(crashing(137, 'OOMKilled')).failure?.reason).toBe('ran out of memory');
    expect(words(crashing(143)).failure?.reason).toBe('was killed by a signal');
  });

  it('no image, or a missing Secret key: failed at once, saying which', () => {
    expect(words(pod({ display: { state: { waiting: { reason: 'ImagePullBackOff' } } } }, { phase: 'Pending' })).failure).toMatchObject({ role: 'display', reason: 'could not get its container image' });
    expect(words(pod({ stream: { state: { waiting: { reason: 'CreateContainerConfigError' } } } }, { phase: 'Pending' })).failure).toMatchObject({ role: 'stream', reason: expect.stringMatching(/could not be set up/) });
  });

  it('being deleted: stopping while a container runs, stopped once none does', () => {
    const deleting = { deletionTimestamp: AT as unknown as Date };
    expect(roomStatusOf(ID, pod({}, { phase: 'Running' }, deleting)).group.activeState).toBe('deactivating');
    expect(words(pod({}, { phase: 'Running' }, deleting), 'stopped').state).toBe('stopping');
    const done = pod(Object.fromEntries(MEMBER_ROLES.map((r) => [r, { state: { terminated: { exitCode: 0 } } }])), { phase: 'Running' }, deleting);
    expect(words(done, 'stopped').state).toBe('stopped');
    expect(isRunning(done)).toBe(false);
  });

  it('unschedulable: no member runs, the group says why, and it counts as started (the scheduler retries)', () => {
    const p: V1Pod = { metadata: { name: `room-${ID}` }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }] } };
    const st = roomStatusOf(ID, p);
    expect(st.group).toMatchObject({ activeState: 'activating', subState: 'unschedulable', result: 'Unschedulable' });
    for (const m of Object.values(st.members)) expect(m.activeState).toBe('inactive');
    expect(isRunning(p)).toBe(true);
    expect(words(p).state).toBe('stopped'); // with the start's error as lastError: failed (test/k8s/runtime.test.ts)
  });

  it('a start has settled once every member started or ended, whatever became of it', () => {
    expect(startSettled(ID, pod())).toBe(true);
    expect(startSettled(ID, pod({ browser: { state: { terminated: { exitCode: 3 } } } }))).toBe(true);
    expect(startSettled(ID, pod({ input: { started: false } }))).toBe(false);
    expect(startSettled(ID, pod({ audio: { state: { waiting: { reason: 'ContainerCreating' } } } }, { phase: 'Pending' }))).toBe(false);
  });
});
