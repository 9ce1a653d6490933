/** Participant caps, message rates, limits from the environment: pure, with a controllable clock. */
import { describe, expect, it } from 'vitest';
import { ParticipantCaps } from '../../server/presence/caps.js';
import { DEFAULT_LIMITS, RateBucket, loadControlLimits } from '../../server/control/limits.js';

describe('participant caps', () => {
  const caps = new ParticipantCaps({ ...DEFAULT_LIMITS, participantsPerRoom: 4, participantsPerAddress: 2 });
  const p = (roomId: string, address: string, isAdmin = false) => ({ roomId, address, isAdmin });

  it('counts per room and per address in the room; the admin is neither refused nor counted per address', () => {
    const existing = [p('r', 'a'), p('r', 'a'), p('r', 'b'), p('other', 'c')];
    expect(caps.refusal(existing, p('r', 'a'))).toBe('too many participants from your address (2)');
    expect(caps.refusal(existing, p('r', 'b'))).toBeNull();
    expect(caps.refusal(existing, p('other', 'a'))).toBeNull();
    expect(caps.refusal([...existing, p('r', 'admin-host', true)], p('r', 'c'))).toBe('this room is full (4 participants)');
    expect(caps.refusal([...existing, p('r', 'b')], p('r', 'x', true))).toBeNull();
    expect(caps.refusal([p('r', 'a', true), p('r', 'a', true)], p('r', 'a'))).toBeNull();
  });

  it('limits cursors and other messages separately, and warns at most once a second', () => {
    const clock = { now: 0 };
    const rates = new ParticipantCaps({ ...DEFAULT_LIMITS, cursorsPerSecond: 5, messagesPerSecond: 2 }, () => clock.now).rates();
    expect(Array.from({ length: 8 }, () => rates.take('cursor').ok).filter(Boolean)).toHaveLength(5);
    expect(Array.from({ length: 6 }, () => rates.take('rename'))).toEqual([
      ...Array.from({ length: 4 }, () => ({ ok: true, warn: false })),
      { ok: false, warn: true },
      { ok: false, warn: false },
    ]);
    clock.now = 1000;
    expect(Array.from({ length: 8 }, () => rates.take('cursor').ok).filter(Boolean)).toHaveLength(5);
  });
});

describe('rate bucket and limits', () => {
  it('refills at its rate up to its burst and says how long to wait', () => {
    const clock = { now: 0 };
    const b = new RateBucket(10 / 60, 5, () => clock.now);
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    expect(b.waitMs()).toBe(6000);
    clock.now = 6000;
    expect(b.take()).toBe(true);
  });

  it('reads the environment, refusing nonsense', () => {
    expect(loadControlLimits({})).toEqual(DEFAULT_LIMITS);
    expect(loadControlLimits({ STREAMBOX_CONTROL_IDLE_SECONDS: '6', STREAMBOX_CONTROL_WARN_SECONDS: '10' })).toMatchObject({ idleMs: 6000, warnMs: 3000 });
    expect(loadControlLimits({ STREAMBOX_PARTICIPANTS_PER_ADDRESS: '3' }).participantsPerAddress).toBe(3);
    expect(() => loadControlLimits({ STREAMBOX_CURSOR_RATE: '0' })).toThrow(/STREAMBOX_CURSOR_RATE must be a whole number of at least 1/);
    expect(() => loadControlLimits({ STREAMBOX_PARTICIPANTS_PER_ROOM: '1.5' })).toThrow(/STREAMBOX_PARTICIPANTS_PER_ROOM/);
  });
});
