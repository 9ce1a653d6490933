import { describe, expect, it } from 'vitest';
import { CoalescedRun } from '../../server/coalescedRun.js';

describe('CoalescedRun', () => {
  it('runs once per request while idle, and requests during a run coalesce into one more run', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const job = new CoalescedRun(() => {
      runs++;
      return new Promise<void>((r) => (release = r));
    }, () => undefined);
    const first = job.request();
    await Promise.resolve();
    await Promise.resolve();
    expect(runs).toBe(1);
    const [a, b, c] = [job.request(), job.request(), job.request()];
    expect(a).toBe(b);
    expect(b).toBe(c);
    release();
    await first;
    await new Promise((r) => setTimeout(r, 0));
    expect(runs, 'one more run for the three').toBe(2);
    release();
    await a;
    expect(runs).toBe(2);
  });

  it('reports a failed run and resolves the callers; the next request runs again', async () => {
    const errors: string[] = [];
    let runs = 0;
    const job = new CoalescedRun(async () => {
      runs++;
      if (runs === 1) throw new Error('bus gone');
    }, (err) => errors.push(err.message));
    await job.request();
    expect(errors).toEqual(['bus gone']);
    await job.request();
    expect(runs).toBe(2);
  });
});
