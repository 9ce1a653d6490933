/**
 * What every RoomRuntime must do, as tests both runtimes pass: systemd for real
 * (test/systemd/runtime.test.ts, in nspawn) and Kubernetes against the fake API server
 * (test/k8s/runtime.test.ts). Each runtime's file adds what only it has.
 *
 * A harness says, for its runtime, what the contract cannot: how its units are named, how to
 * make a member fail, what the room's processes were handed, where its x11vnc listens, what a
 * removed room left behind, and how to break its connection or stop a room behind its back.
 */
import { it, expect } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputEndpoint, MemberRole, RoomRuntime, RoomSpec } from '../../server/runtime/types.js';
import { roomStatus } from '../../server/rooms/status.js';
import { RoomsService } from '../../server/rooms/service.js';
import { RoomStore } from '../../server/store/roomStore.js';
import { openDb } from '../../server/store/db.js';
import { newRoomId } from '../../server/rooms/ids.js';
import { silentLogger } from '../../server/log.js';
import { eventually } from './eventually.js';

export interface RuntimeHarness {
  /** The runtime the tests share. */
  runtime: RoomRuntime;
  /** Another runtime on the same machine or cluster: the admin service after a restart. Closed by the test. */
  makeRuntime(): RoomRuntime;
  groupUnit(roomId: string): string;
  memberUnit(role: MemberRole, roomId: string): string;
  /** The start URL as the room's processes were handed it. */
  startUrlSeen(roomId: string): Promise<string>;
  /** Where the running room's x11vnc listens, as its unit or Pod says (not as the runtime does). */
  inputListensOn(roomId: string): Promise<InputEndpoint>;
  /** Arranges for the browser of a room started with the returned spec to fail at once, exit code 3. */
  failBrowser(spec: RoomSpec): Promise<RoomSpec>;
  /** The room's processes stop behind the runtime's back (while the admin service was down). */
  stopBehindBack(roomId: string): Promise<void>;
  /** What is left of a room after stop and remove (names of units, files, objects); empty: nothing. */
  leftovers(roomId: string): Promise<string[]>;
  /** The runtime's connection breaks (systemd's bus restarts, the API server goes and comes back). */
  interrupt(): Promise<void>;
}

export function spec(startUrl = 'https://example.org/?q="quoted"&v=$HOME'): RoomSpec {
  return { id: newRoomId(), display: 10, width: 1280, height: 720, fps: 30, videoBitrateKbps: 2000, startUrl, vncPassword: 'secret12', relayUrl: 'http://127.0.0.1:9/ingest' };
}

const nothingLeft = (h: RuntimeHarness, id: string) => eventually(`nothing left of ${id}`, () => h.leftovers(id), (left) => left.length === 0);

/** Defines the contract's tests; `harness` is called inside each test (it exists after beforeAll). */
export function runtimeContract(harness: () => RuntimeHarness): void {
  it('starts every member, hands them the spec, and stops them all', async () => {
    const h = harness();
    const s = spec();
    const seen: Array<string | null> = [];
    const unwatch = h.runtime.watch((id) => seen.push(id));
    await h.runtime.start(s);

    const status = await h.runtime.status(s.id);
    expect(status.group).toMatchObject({ unit: h.groupUnit(s.id), activeState: 'active' });
    for (const [role, member] of Object.entries(status.members)) {
      expect(member.unit).toBe(h.memberUnit(role as MemberRole, s.id));
      expect(member.activeState, member.unit).toBe('active');
    }
    expect(roomStatus('running', status, null).state).toBe('live');
    expect(await h.runtime.listRunning()).toContain(s.id);
    // Quotes, $ and & survive the way to the room's processes.
    expect(await h.startUrlSeen(s.id)).toBe(s.startUrl);
    // The VNC gateway connects where the room's x11vnc listens.
    expect(await h.runtime.inputEndpoint(s.id)).toEqual(await h.inputListensOn(s.id));
    await eventually('watch events for the room', async () => seen.filter((id) => id === s.id).length, (n) => n > 0);

    await h.runtime.stop(s.id);
    const stopped = await h.runtime.status(s.id);
    for (const member of Object.values(stopped.members)) expect(member.activeState, member.unit).toBe('inactive');
    expect(stopped.group.activeState).toBe('inactive');
    expect(roomStatus('stopped', stopped, null).state).toBe('stopped');
    expect(await h.runtime.listRunning()).not.toContain(s.id);
    await h.runtime.remove(s.id);
    await nothingLeft(h, s.id);
    unwatch();
  });

  it('names the member that failed even though the start said done', async () => {
    const h = harness();
    const s = await h.failBrowser(spec('https://example.org/fail'));
    await h.runtime.start(s); // done: a member that fails does not fail the room's start
    const status = await eventually('browser failure', () => h.runtime.status(s.id), (st) => st.members.browser.activeState === 'failed');
    expect(status.members.browser).toMatchObject({ unit: h.memberUnit('browser', s.id), result: 'exit-code' });
    expect(status.members.display.activeState).toBe('active');
    const words = roomStatus('running', status, null);
    expect(words.state).toBe('failed');
    expect(words.failure).toMatchObject({ role: 'browser', unit: h.memberUnit('browser', s.id), reason: 'exited with an error' });
    await h.runtime.stop(s.id);
    await h.runtime.remove(s.id);
    // Removed means forgotten: nothing of a failed room is left either.
    await nothingLeft(h, s.id);
  });

  it('stopping and removing a room it never heard of is not an error', async () => {
    const h = harness();
    const id = newRoomId();
    await expect(h.runtime.stop(id)).resolves.toBeUndefined();
    await expect(h.runtime.remove(id)).resolves.toBeUndefined();
  });

  it('reconciles after a service restart: starts what should run, stops orphans', async () => {
    const h = harness();
    const dir = await mkdtemp(join(tmpdir(), 'sbx-reconcile-'));
    const db = openDb(join(dir, 'streambox.db'));
    const relayUrl = () => 'http://127.0.0.1:9/ingest';
    const rooms = new RoomsService({ store: new RoomStore(db), runtime: h.runtime, clock: () => new Date(), log: silentLogger, relayUrl });
    const kept = await rooms.create({ name: 'kept', config: { width: 1280, height: 720, fps: 30, videoBitrateKbps: 2000, startUrl: 'https://example.org/' }, password: null });
    expect(await h.runtime.listRunning()).toContain(kept.id);
    // While the service is down: the room's processes stop, and a room nobody knows starts.
    await h.stopBehindBack(kept.id);
    const orphan = spec();
    await h.runtime.start(orphan);
    expect(await h.runtime.listRunning()).not.toContain(kept.id);

    const restarted = h.makeRuntime();
    const again = new RoomsService({ store: new RoomStore(db), runtime: restarted, clock: () => new Date(), log: silentLogger, relayUrl });
    await again.reconcile();
    const running = await restarted.listRunning();
    expect(running).toContain(kept.id);
    expect(running).not.toContain(orphan.id);
    await nothingLeft(h, orphan.id);
    await again.delete(kept.id);
    await nothingLeft(h, kept.id);
    await restarted.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('keeps watching through a lost connection, and says to re-read everything', async () => {
    const h = harness();
    const seen: Array<string | null> = [];
    const unwatch = h.runtime.watch((id) => seen.push(id));
    expect((await h.runtime.health()).ok).toBe(true);
    seen.length = 0;
    await h.interrupt();
    await eventually('health after the interruption', () => h.runtime.health(), (health) => health.ok, 30_000);
    await eventually('a re-read-everything notice', async () => seen.includes(null), (v) => v);
    // Changes flow again on the new connection.
    const s = spec();
    seen.length = 0;
    await h.runtime.start(s);
    await eventually('watch events after the interruption', async () => seen.includes(s.id), (v) => v);
    await h.runtime.stop(s.id);
    await h.runtime.remove(s.id);
    unwatch();
  }, 60_000);
}
