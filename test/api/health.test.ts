import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { makeTestApp } from '../support/testApp.js';

describe('GET /api/health', () => {
  it('is 200 without login when the store and the runtime answer', async () => {
    const t = await makeTestApp(new FakeRuntime());
    const res = await t.app.request('/api/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, service: { ok: true }, store: { ok: true }, runtime: { ok: true } });
    t.close();
  });

  it('is 503 and says which part is down', async () => {
    const runtime = new FakeRuntime();
    const t = await makeTestApp(runtime);
    runtime.available = false;
    const res = await t.app.request('/api/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, store: { ok: true }, runtime: { ok: false, detail: 'fake runtime down' } });
    t.db.close();
    const closed = await t.app.request('/api/health');
    expect((await closed.json()).store.ok).toBe(false);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const t = await makeTestApp(new FakeRuntime());
    const res = await t.app.request('/api/nothing-here');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
    t.close();
  });
});
