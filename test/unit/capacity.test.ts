import { describe, expect, it } from 'vitest';
import { admit, loadCapacity, MEASURED_COST, roomCost, type CapacitySettings } from '../../server/rooms/capacity.js';

const P1080 = { width: 1920, height: 1080, fps: 30 };
const P720 = { width: 1280, height: 720, fps: 30 };
const twoCores: CapacitySettings = loadCapacity({}, 2);

describe('the room cost model', () => {
  it('matches the measurements it was fitted to (2-core AMD EPYC, issue 13)', () => {
    // 2 rooms at 1080p30: 84 % of 2 cores; 3 at 720p30: 83 %.
    expect(2 * roomCost(P1080, MEASURED_COST)).toBeCloseTo(1.68, 1);
    expect(3 * roomCost(P720, MEASURED_COST)).toBeCloseTo(1.66, 1);
  });

  it('grows with pixels and frame rate', () => {
    expect(roomCost({ width: 3840, height: 2160, fps: 60 }, MEASURED_COST)).toBeGreaterThan(4 * roomCost(P1080, MEASURED_COST));
    expect(roomCost({ ...P720, fps: 15 }, MEASURED_COST)).toBeLessThan(roomCost(P720, MEASURED_COST));
  });
});

describe('admission on a 2-core host', () => {
  it('budgets 90 % of the cores', () => expect(twoCores.budgetCores).toBe(1.8));

  it('admits two 1080p30 rooms and refuses the third, naming the limit', () => {
    expect(admit([], P1080, twoCores)).toMatchObject({ ok: true, roomsThatFit: 2 });
    expect(admit([P1080], P1080, twoCores)).toMatchObject({ ok: true, roomsThatFit: 1 });
    const third = admit([P1080, P1080], P1080, twoCores);
    expect(third.ok).toBe(false);
    expect(third.roomsThatFit).toBe(0);
    expect(third.message).toBe('this host runs 2 of 2 1920x1080 30 fps rooms; stop a room first');
  });

  it('admits three 720p30 rooms, not four', () => {
    expect(admit([P720, P720], P720, twoCores).ok).toBe(true);
    expect(admit([P720, P720, P720], P720, twoCores).ok).toBe(false);
  });

  it('suggests a smaller size that would fit', () => {
    const a = admit([P1080], { width: 2560, height: 1440, fps: 30 }, twoCores);
    expect(a.ok).toBe(false);
    expect(a.message).toBe("this host's 1 running room uses 0.84 of the 1.80 cores rooms may take, and a 2560x1440 30 fps room needs 1.25; stop one or choose 1920x1080 30 fps");
  });

  it('says when a size is too big for this host at all', () => {
    const a = admit([], { width: 3840, height: 2160, fps: 60 }, twoCores);
    expect(a.ok).toBe(false);
    expect(a.message).toMatch(/needs more than this host has/);
  });

  it('describes a mix of rooms by the cores they use', () => {
    const a = admit([P720, P720], P1080, twoCores);
    expect(a.ok).toBe(false);
    expect(a.message).toMatch(/^this host's 2 running rooms use 1\.10 of the 1\.80 cores rooms may take, and a 1920x1080 30 fps room needs 0\.84; stop one or choose 1280x720 30 fps$/);
  });
});

describe('the operator overrides', () => {
  it('STREAMBOX_CAPACITY_CORES sets the budget; 0 turns admission off', () => {
    expect(loadCapacity({ STREAMBOX_CAPACITY_CORES: '6' }, 2).budgetCores).toBe(6);
    const off = loadCapacity({ STREAMBOX_CAPACITY_CORES: '0' }, 2);
    expect(admit([P1080, P1080, P1080, P1080], P1080, off)).toMatchObject({ ok: true, roomsThatFit: null });
  });

  it('STREAMBOX_ROOM_COST replaces the model', () => {
    expect(loadCapacity({ STREAMBOX_ROOM_COST: '0.5, 0.01' }, 2).model).toEqual({ baseCores: 0.5, coresPerMegapixelSecond: 0.01 });
  });

  it('refuses values that are not numbers, with the variable named', () => {
    expect(() => loadCapacity({ STREAMBOX_CAPACITY_CORES: 'lots' }, 2)).toThrow(/STREAMBOX_CAPACITY_CORES/);
    expect(() => loadCapacity({ STREAMBOX_CAPACITY_CORES: '-1' }, 2)).toThrow(/STREAMBOX_CAPACITY_CORES/);
    expect(() => loadCapacity({ STREAMBOX_ROOM_COST: '0.3' }, 2)).toThrow(/STREAMBOX_ROOM_COST/);
  });
});
