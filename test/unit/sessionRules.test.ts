/** The idle stop and time limit rules on a fake clock (server/rooms/sessionRules.ts). */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SESSION, SessionTimers, loadSessionDefaults, sessionSettings, type RunningRoom } from '../../server/rooms/sessionRules.js';

const MIN = 60_000;

function setup(settings: Partial<RunningRoom['settings']> = {}) {
  const clock = { now: 1_000_000 };
  const timers = new SessionTimers(() => clock.now);
  const room: RunningRoom = { id: 'r', startedAt: clock.now, settings: { idleStopMs: 10 * MIN, maxDurationMs: 0, warnMs: 0, ...settings } };
  return { clock, timers, room };
}

describe('session settings', () => {
  it('takes the room\'s own values over the defaults; null means the default, 0 never', () => {
    expect(sessionSettings({}, DEFAULT_SESSION)).toEqual({ idleStopMs: 30 * MIN, maxDurationMs: 0, warnMs: 0 });
    expect(sessionSettings({ idleStopMinutes: 0, maxDurationMinutes: 60 }, DEFAULT_SESSION)).toEqual({ idleStopMs: 0, maxDurationMs: 60 * MIN, warnMs: 5 * MIN });
    expect(sessionSettings({ idleStopMinutes: null, maxDurationMinutes: null }, { idleStopMinutes: 2, maxDurationMinutes: 90, warnMinutes: 5 })).toEqual({ idleStopMs: 2 * MIN, maxDurationMs: 90 * MIN, warnMs: 5 * MIN });
    // A limit shorter than twice the warning: warned at half-time.
    expect(sessionSettings({ maxDurationMinutes: 0.5 }, DEFAULT_SESSION).warnMs).toBe(15_000);
  });

  it('reads the defaults from the environment and refuses nonsense', () => {
    expect(loadSessionDefaults({})).toEqual(DEFAULT_SESSION);
    expect(loadSessionDefaults({ STREAMBOX_IDLE_STOP_MINUTES: '0', STREAMBOX_MAX_DURATION_MINUTES: '120', STREAMBOX_SESSION_WARN_MINUTES: '2.5' })).toEqual({ idleStopMinutes: 0, maxDurationMinutes: 120, warnMinutes: 2.5 });
    expect(() => loadSessionDefaults({ STREAMBOX_IDLE_STOP_MINUTES: 'soon' })).toThrow(/STREAMBOX_IDLE_STOP_MINUTES/);
    expect(() => loadSessionDefaults({ STREAMBOX_IDLE_STOP_MINUTES: '0.1' })).toThrow(/0 or a number of minutes from 0.25/);
    expect(() => loadSessionDefaults({ STREAMBOX_MAX_DURATION_MINUTES: '-5' })).toThrow(/STREAMBOX_MAX_DURATION_MINUTES/);
  });
});

describe('idle stop', () => {
  it('stops an empty room exactly after its idle time, once', () => {
    const { clock, timers, room } = setup();
    timers.sync([room]);
    clock.now += 10 * MIN - 1;
    expect(timers.tick()).toEqual([]);
    clock.now += 1;
    expect(timers.tick()).toEqual([{ kind: 'stop', roomId: 'r', reason: 'idle' }]);
    expect(timers.tick()).toEqual([]);
  });

  it('does not stop while someone is in it, and counts from when the last one left', () => {
    const { clock, timers, room } = setup();
    timers.sync([room]);
    timers.occupancy('r', 1);
    clock.now += 60 * MIN;
    expect(timers.tick()).toEqual([]);
    timers.occupancy('r', 2);
    timers.occupancy('r', 1);
    clock.now += MIN;
    timers.occupancy('r', 0);
    clock.now += 10 * MIN - 1;
    expect(timers.tick()).toEqual([]);
    clock.now += 1;
    expect(timers.tick()).toEqual([{ kind: 'stop', roomId: 'r', reason: 'idle' }]);
  });

  it('a room that starts with someone already on its channel (a wake) is not empty', () => {
    const { clock, timers, room } = setup();
    timers.occupancy('r', 1); // joined while the room was stopped
    timers.sync([room]);
    clock.now += 20 * MIN;
    expect(timers.tick()).toEqual([]);
  });

  it('0 means never; a room that stops running is forgotten and starts its clock afresh', () => {
    const { clock, timers, room } = setup({ idleStopMs: 0 });
    timers.sync([room]);
    clock.now += 1000 * MIN;
    expect(timers.tick()).toEqual([]);
    const idle = { ...room, settings: { ...room.settings, idleStopMs: 10 * MIN } };
    timers.sync([]);
    clock.now += 5 * MIN;
    timers.sync([idle]);
    clock.now += 10 * MIN - 1;
    expect(timers.tick()).toEqual([]);
  });

  it('a new session (a wake right after the stop) starts the idle clock afresh', () => {
    const { clock, timers, room } = setup();
    timers.sync([room]);
    clock.now += 10 * MIN;
    expect(timers.tick()).toHaveLength(1);
    clock.now += 1000;
    timers.sync([{ ...room, startedAt: clock.now }]); // woken before a pass saw it stopped
    expect(timers.tick()).toEqual([]);
    clock.now += 10 * MIN;
    expect(timers.tick()).toEqual([{ kind: 'stop', roomId: 'r', reason: 'idle' }]);
  });

  it('a stop that failed is tried again', () => {
    const { clock, timers, room } = setup();
    timers.sync([room]);
    clock.now += 10 * MIN;
    expect(timers.tick()).toHaveLength(1);
    timers.stopFailed('r');
    expect(timers.tick()).toEqual([{ kind: 'stop', roomId: 'r', reason: 'idle' }]);
  });
});

describe('time limit', () => {
  it('warns once warnMs before the end, then stops at the end, with people in the room', () => {
    const { clock, timers, room } = setup({ idleStopMs: 0, maxDurationMs: 60 * MIN, warnMs: 5 * MIN });
    timers.sync([room]);
    timers.occupancy('r', 3);
    expect(timers.endsAt('r')).toBe(room.startedAt + 60 * MIN);
    clock.now += 55 * MIN - 1;
    expect(timers.tick()).toEqual([]);
    expect(timers.warned('r')).toBe(false);
    clock.now += 1;
    expect(timers.tick()).toEqual([{ kind: 'warn', roomId: 'r', endsAt: room.startedAt + 60 * MIN, msLeft: 5 * MIN }]);
    expect(timers.warned('r')).toBe(true);
    clock.now += 4 * MIN;
    expect(timers.tick()).toEqual([]);
    clock.now += MIN;
    expect(timers.tick()).toEqual([{ kind: 'stop', roomId: 'r', reason: 'time-limit' }]);
  });

  it('an extension (a new startedAt) moves the end and allows a new warning', () => {
    const { clock, timers, room } = setup({ idleStopMs: 0, maxDurationMs: 10 * MIN, warnMs: 2 * MIN });
    timers.sync([room]);
    clock.now += 9 * MIN;
    expect(timers.tick().map((a) => a.kind)).toEqual(['warn']);
    timers.sync([{ ...room, startedAt: clock.now }]);
    expect(timers.warned('r')).toBe(false);
    expect(timers.tick()).toEqual([{ kind: 'unwarn', roomId: 'r' }]);
    clock.now += 8 * MIN - 1;
    expect(timers.tick()).toEqual([]);
    clock.now += 1;
    expect(timers.tick().map((a) => a.kind)).toEqual(['warn']);
    clock.now += 2 * MIN;
    expect(timers.tick()).toEqual([{ kind: 'stop', roomId: 'r', reason: 'time-limit' }]);
  });

  it('the time limit wins over the idle stop when both are due', () => {
    const { clock, timers, room } = setup({ idleStopMs: MIN, maxDurationMs: MIN, warnMs: 0 });
    timers.sync([room]);
    clock.now += MIN;
    expect(timers.tick()).toEqual([{ kind: 'stop', roomId: 'r', reason: 'time-limit' }]);
  });
});
