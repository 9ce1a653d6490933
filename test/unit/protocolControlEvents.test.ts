/**
 * The control-change events (server/control/events.ts): the arbiter emits one per change of
 * holder, whatever caused it, after its state is complete, and none when nothing moved. The VNC
 * gateway and the room channel act on these alone (issue 12 part 3).
 */
import { describe, expect, it } from 'vitest';
import { ControlArbiter } from '../../server/control/arbiter.js';
import type { ControlChange } from '../../server/control/events.js';

function arbiter() {
  const clock = { now: 0 };
  const a = new ControlArbiter(() => clock.now, { idleMs: 10_000, warnMs: 2_000 });
  const changes: Array<ControlChange & { holderSeen: string | null }> = [];
  const unsubscribe = a.onControlChange((change) => changes.push({ ...change, holderSeen: a.holder(change.roomId) }));
  return { a, clock, changes, unsubscribe };
}

describe('control change events', () => {
  it('one per change of holder: first join, pass, release to a request, leave, admin take', () => {
    const { a, changes } = arbiter();
    a.join('r', { id: 'ann', name: 'Ann', isAdmin: false });
    a.join('r', { id: 'bob', name: 'Bob', isAdmin: false });
    a.join('r', { id: 'adm', name: 'Admin', isAdmin: true });
    a.pass('r', 'ann', 'bob');
    a.request('r', 'ann');
    a.release('r', 'bob');
    a.take('r', 'adm');
    a.leave('r', 'adm');
    expect(changes.map(({ from, to }) => [from, to])).toEqual([
      [null, 'ann'],
      ['ann', 'bob'],
      ['bob', 'ann'],
      ['ann', 'adm'],
      ['adm', null],
    ]);
    // Listeners see the state the change left, not a half-made one.
    for (const c of changes) expect(c.holderSeen).toBe(c.to);
  });

  it('none when control stays: joins, requests, declines, renames, a pass to oneself', () => {
    const { a, changes } = arbiter();
    a.join('r', { id: 'ann', name: 'Ann', isAdmin: false });
    changes.length = 0;
    a.join('r', { id: 'bob', name: 'Bob', isAdmin: false });
    a.request('r', 'bob');
    a.decline('r', 'ann', 'bob');
    a.rename('r', 'bob', 'Robert');
    a.pass('r', 'ann', 'ann');
    a.leave('r', 'bob');
    expect(changes).toEqual([]);
  });

  it('the idle rule moves control by the same event; the last one out leaves nobody holding', () => {
    const { a, clock, changes, unsubscribe } = arbiter();
    a.join('r', { id: 'ann', name: 'Ann', isAdmin: false });
    a.join('r', { id: 'bob', name: 'Bob', isAdmin: false });
    a.request('r', 'bob');
    clock.now = 8_500;
    expect(a.tick().map((t) => t.kind)).toEqual(['warn']);
    clock.now = 10_000;
    expect(a.tick().map((t) => t.kind)).toEqual(['revoked']);
    a.leave('r', 'ann');
    a.leave('r', 'bob');
    expect(changes.map(({ roomId, from, to }) => [roomId, from, to])).toEqual([
      ['r', null, 'ann'],
      ['r', 'ann', 'bob'],
      ['r', 'bob', null],
    ]);
    unsubscribe();
    a.join('r', { id: 'cat', name: 'Cat', isAdmin: false });
    expect(changes).toHaveLength(3);
  });
});
