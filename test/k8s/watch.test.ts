/**
 * The Kubernetes runtime's watch (server/runtime/kubernetes/podWatch.ts) against the fake API
 * server (test/support/fakeKubeApi.ts; why a fake: see test/k8s/runtime.test.ts): list then watch
 * from the list's resourceVersion, resume after the server ends a watch, list again on 410 Gone
 * (both ways a server says it), and come back with a growing delay after the server was gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { RuntimeUnavailableError } from '../../server/runtime/types.js';
import { spec } from '../support/runtimeContract.js';
import { NAMESPACE, roomPodName, startKubeBench, type KubeBench } from '../support/kubeHarness.js';
import { eventually } from '../support/eventually.js';

let bench: KubeBench;
const seen: Array<string | null> = [];
const lists = () => bench.api.store.count('GET pods');
const watches = () => bench.api.store.count('GET pods watch');

beforeAll(async () => {
  bench = await startKubeBench();
  bench.runtime.watch((id) => seen.push(id));
  await eventually('the first watch', async () => bench.api.openWatches, (n) => n === 1);
});

afterAll(async () => {
  await bench?.close();
});

/** A write the runtime does not watch, then a compaction: its last resourceVersion is now too old. */
function compactPastTheRuntime(): void {
  bench.api.store.create('secrets', 'elsewhere', { metadata: { name: `unwatched-${Date.now()}` } });
  bench.api.store.compact();
}

describe('the Kubernetes watch', () => {
  it('lists once, then hears changes on the watch alone', async () => {
    const before = lists();
    seen.length = 0;
    const s = spec();
    await bench.runtime.start(s);
    await eventually('an event for the room', async () => seen.includes(s.id), (v) => v);
    expect(lists()).toBe(before);
    expect(seen).not.toContain(null);
    await bench.runtime.stop(s.id);
    await bench.runtime.remove(s.id);
  });

  it('resumes a watch the server ended from the last resourceVersion: nothing missed, no new list', async () => {
    const s = spec();
    await bench.runtime.start(s);
    const [listsBefore, watchesBefore] = [lists(), watches()];
    seen.length = 0;
    bench.api.endWatches();
    // A change while no watch is open: the resumed watch must replay it.
    bench.api.store.patchPod(NAMESPACE, roomPodName(s.id), (p) => {
      p.metadata.labels = { ...p.metadata.labels, touched: 'yes' };
    });
    await eventually('the change made while no watch was open', async () => seen.includes(s.id), (v) => v);
    expect(watches()).toBe(watchesBefore + 1);
    expect(lists()).toBe(listsBefore);
    expect(seen).not.toContain(null);
    await bench.runtime.stop(s.id);
    await bench.runtime.remove(s.id);
  });

  for (const how of ['an ERROR event with a 410 Status', 'the HTTP status 410'] as const) {
    it(`lists again on 410 Gone (${how}), tells listeners to re-read everything, and watches on`, async () => {
      bench.api.goneAsHttpStatus = how === 'the HTTP status 410';
      try {
        const before = lists();
        seen.length = 0;
        compactPastTheRuntime();
        bench.api.endWatches();
        await eventually('a new list', async () => lists(), (n) => n === before + 1);
        await eventually('a re-read-everything notice', async () => seen.includes(null), (v) => v);
        await eventually('a watch open again', async () => bench.api.openWatches, (n) => n === 1);
        const s = spec();
        await bench.runtime.start(s);
        await eventually('events on the new watch', async () => seen.includes(s.id), (v) => v);
        await bench.runtime.stop(s.id);
        await bench.runtime.remove(s.id);
      } finally {
        bench.api.goneAsHttpStatus = false;
      }
    });
  }

  it('while the API server is gone: calls are RuntimeUnavailableError, retries back off, and all is re-read after', async () => {
    const port = Number(new URL(bench.api.url).port);
    await bench.api.stop();
    // In its place, something that takes each connection and drops it: every retry is counted.
    let attempts = 0;
    const dropper: Server = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropper.listen(port, '127.0.0.1', () => resolve()));
    const err = await bench.runtime.status(spec().id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeUnavailableError);
    expect((err as Error).message).toMatch(/Kubernetes API is not reachable \(http:\/\/127\.0\.0\.1:\d+\)/);
    expect((await bench.runtime.health()).ok).toBe(false);
    const before = attempts;
    await new Promise((resolve) => setTimeout(resolve, 1600));
    // 0.1 s, then 0.2, 0.4, 0.8 ...: about four retries in 1.6 s, not one every few milliseconds.
    expect(attempts - before).toBeGreaterThanOrEqual(2);
    expect(attempts - before).toBeLessThanOrEqual(6);
    await new Promise<void>((resolve) => dropper.close(() => resolve()));
    seen.length = 0;
    await bench.api.start();
    await eventually('health again', () => bench.runtime.health(), (h) => h.ok, 20_000);
    await eventually('a watch open again', async () => bench.api.openWatches, (n) => n === 1, 20_000);
    await eventually('a re-read-everything notice', async () => seen.includes(null), (v) => v);
  }, 40_000);
});
