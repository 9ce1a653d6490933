import { describe, expect, it } from 'vitest';
import { ControlArbiter, ControlError } from '../../server/control/arbiter.js';

function setup() {
  const clock = { now: 0 };
  const arbiter = new ControlArbiter(() => clock.now, { idleMs: 60_000, warnMs: 10_000 });
  const join = (id: string, isAdmin = false) => arbiter.join('r', { id, name: id.toUpperCase(), isAdmin });
  return { clock, arbiter, join };
}

describe('control arbiter', () => {
  it('gives control to the first participant, and only the holder may drive', () => {
    const { arbiter, join } = setup();
    join('a');
    join('b');
    expect(arbiter.holder('r')).toBe('a');
    expect(arbiter.mayDrive('r', { participantId: 'a', isAdmin: false })).toBe(true);
    expect(arbiter.mayDrive('r', { participantId: 'b', isAdmin: false })).toBe(false);
    expect(arbiter.mayDrive('r', { participantId: null, isAdmin: true })).toBe(false);
    expect(arbiter.mayDrive('other', { participantId: 'a', isAdmin: false })).toBe(false);
  });

  it('keeps a seat for the driver expected back: others wait, the driver gets control on joining', () => {
    const { arbiter, join, clock } = setup();
    arbiter.reserve('r', 'a', 30_000);
    join('b'); // alone, but the seat is kept
    expect(arbiter.holder('r')).toBeNull();
    arbiter.request('r', 'b');
    expect(arbiter.holder('r')).toBeNull();
    expect(arbiter.state('r').requests).toEqual(['b']);
    clock.now = 10_000;
    arbiter.tick();
    join('a');
    expect(arbiter.holder('r')).toBe('a');
    expect(arbiter.state('r').requests).toEqual(['b']);
    // The seat is used up: a second restart-less leave and join is ordinary.
    arbiter.leave('r', 'a');
    expect(arbiter.holder('r')).toBe('b');
  });

  it('frees a kept seat when its time is up: to the oldest request, or the only one there', () => {
    const { arbiter, join, clock } = setup();
    arbiter.reserve('r', 'a', 30_000);
    join('b');
    join('c');
    arbiter.request('r', 'c');
    clock.now = 30_000;
    arbiter.tick();
    expect(arbiter.holder('r')).toBe('c');

    arbiter.reserve('s', 'a', 30_000);
    arbiter.join('s', { id: 'd', name: 'D', isAdmin: false });
    clock.now = 60_000;
    arbiter.tick();
    expect(arbiter.holder('s')).toBe('d');
    // The admin does not wait for anyone.
    arbiter.reserve('t', 'a', 90_000);
    arbiter.join('t', { id: 'adm', name: 'Admin', isAdmin: true });
    expect(arbiter.holder('t')).toBeNull();
    arbiter.take('t', 'adm');
    expect(arbiter.holder('t')).toBe('adm');
  });

  it('queues requests; the holder passes or declines', () => {
    const { arbiter, join } = setup();
    join('a');
    join('b');
    join('c');
    expect(arbiter.request('r', 'b')).toBe(true);
    expect(arbiter.request('r', 'b')).toBe(false); // already asked
    arbiter.request('r', 'c');
    expect(arbiter.state('r').requests).toEqual(['b', 'c']);
    expect(() => arbiter.pass('r', 'b', 'c')).toThrow(ControlError); // b does not hold it
    expect(arbiter.decline('r', 'a', 'c')).toBe(true);
    expect(arbiter.pass('r', 'a', 'b')).toBe(true);
    expect(arbiter.holder('r')).toBe('b');
    expect(arbiter.state('r').requests).toEqual([]);
  });

  it('hands released control to the oldest request, else to nobody; the next request gets it at once', () => {
    const { arbiter, join } = setup();
    join('a');
    join('b');
    join('c');
    arbiter.request('r', 'c');
    arbiter.request('r', 'b');
    arbiter.release('r', 'a');
    expect(arbiter.holder('r')).toBe('c');
    arbiter.leave('r', 'c');
    expect(arbiter.holder('r')).toBe('b');
    arbiter.release('r', 'b');
    expect(arbiter.holder('r')).toBeNull();
    arbiter.request('r', 'a');
    expect(arbiter.holder('r')).toBe('a');
  });

  it('warns an idle holder, then takes control away; activity resets the clock', () => {
    const { arbiter, join, clock } = setup();
    join('a');
    join('b');
    arbiter.request('r', 'b');
    clock.now = 49_000;
    expect(arbiter.tick()).toEqual([]);
    clock.now = 50_000;
    expect(arbiter.tick()).toEqual([{ roomId: 'r', kind: 'warn', holder: 'a', msLeft: 10_000 }]);
    expect(arbiter.tick()).toEqual([]); // warned once
    expect(arbiter.activity('r', 'a')).toBe(true);
    clock.now = 109_999;
    arbiter.tick();
    clock.now = 110_000;
    expect(arbiter.tick()).toContainEqual({ roomId: 'r', kind: 'revoked', holder: 'a' });
    expect(arbiter.holder('r')).toBe('b');
  });

  it('lets the admin take control, and nobody else', () => {
    const { arbiter, join } = setup();
    join('a');
    join('boss', true);
    expect(() => arbiter.take('r', 'a')).toThrow(/only the admin/);
    expect(arbiter.take('r', 'boss')).toBe(true);
    expect(arbiter.holder('r')).toBe('boss');
  });

  it('forgets a room when the last participant leaves', () => {
    const { arbiter, join } = setup();
    join('a');
    arbiter.leave('r', 'a');
    expect(arbiter.state('r')).toMatchObject({ holder: null, participants: [] });
    join('b');
    expect(arbiter.holder('r')).toBe('b');
  });

  it('refuses actions by or for people not in the room', () => {
    const { arbiter, join } = setup();
    join('a');
    expect(() => arbiter.request('r', 'ghost')).toThrow(/not in this room/);
    expect(() => arbiter.pass('r', 'a', 'ghost')).toThrow(/not in this room/);
  });
});
