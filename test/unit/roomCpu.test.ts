import { describe, expect, it } from 'vitest';
import { RoomCpu } from '../../server/metrics/roomCpu.js';
import { FakeRuntime } from '../support/fakeRuntime.js';

function setup(ids: string[]) {
  const runtime = new FakeRuntime();
  let now = 1_000_000;
  const cpu = new RoomCpu({ runtime, now: () => now, roomIds: () => ids });
  return { runtime, cpu, advance: (ms: number) => (now += ms) };
}

describe('RoomCpu', () => {
  it('reads % of one core from two readings of the counter', async () => {
    const { runtime, cpu, advance } = setup(['a']);
    runtime.running.add('a');
    runtime.cpuNs.set('a', 10e9);
    await cpu.sample();
    expect(cpu.of('a')).toBeNull(); // one reading is no rate
    advance(5000);
    runtime.cpuNs.set('a', 10e9 + 7.5e9); // 7.5 s of CPU in 5 s: one and a half cores
    await cpu.sample();
    expect(cpu.of('a')).toBeCloseTo(150, 6);
  });

  it('takes a counter that went down (a member restarted) as no reading, and reads again after', async () => {
    const { runtime, cpu, advance } = setup(['a']);
    runtime.running.add('a');
    runtime.cpuNs.set('a', 50e9);
    await cpu.sample();
    advance(5000);
    runtime.cpuNs.set('a', 55e9);
    await cpu.sample();
    expect(cpu.of('a')).toBeCloseTo(100, 6);
    advance(5000);
    runtime.cpuNs.set('a', 1e9);
    await cpu.sample();
    expect(cpu.of('a')).toBeCloseTo(100, 6); // the last good figure stays until the next one
    advance(5000);
    runtime.cpuNs.set('a', 1.5e9);
    await cpu.sample();
    expect(cpu.of('a')).toBeCloseTo(10, 6);
  });

  it('forgets a room that stopped or is no longer meant to run', async () => {
    const ids = ['a', 'b'];
    const { runtime, cpu, advance } = setup(ids);
    runtime.running.add('a');
    runtime.running.add('b');
    await cpu.sample();
    advance(1000);
    runtime.cpuNs.set('a', 0.2e9);
    runtime.cpuNs.set('b', 0.3e9);
    await cpu.sample();
    expect(cpu.of('a')).toBeCloseTo(20, 6);
    expect(cpu.of('b')).toBeCloseTo(30, 6);
    runtime.running.delete('a'); // stopped: the runtime has no counter
    ids.splice(1, 1); // b is not meant to run any more
    advance(1000);
    await cpu.sample();
    expect(cpu.of('a')).toBeNull();
    expect(cpu.of('b')).toBeNull();
  });

  it('gives no reading while the runtime is unreachable', async () => {
    const { runtime, cpu, advance } = setup(['a']);
    runtime.running.add('a');
    await cpu.sample();
    advance(1000);
    runtime.cpuNs.set('a', 1e9);
    await cpu.sample();
    expect(cpu.of('a')).toBeCloseTo(100, 6);
    runtime.available = false;
    advance(1000);
    await cpu.sample();
    expect(cpu.of('a')).toBeNull();
  });
});
