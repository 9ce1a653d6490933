import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { makeTestApp, type TestApp } from '../support/testApp.js';

describe('web UI routes', () => {
  let t: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'sbx-web-'));
  beforeAll(async () => {
    const web = join(dir, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<title>dashboard</title>');
    writeFileSync(join(web, 'room.html'), '<title>room</title>');
    writeFileSync(join(web, 'assets', 'app-1234.js'), 'console.log(1)');
    t = await makeTestApp(new FakeRuntime(), { dir, env: { STREAMBOX_WEB_DIR: web } });
  });
  afterAll(() => {
    t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the dashboard at / and the room page at /rooms/:id', async () => {
    const dash = await t.app.request('/');
    expect(dash.status).toBe(200);
    expect(await dash.text()).toContain('dashboard');
    const room = await t.app.request('/rooms/aaaaaaaaaaaaaaaaaaaaaaaa');
    expect(room.status).toBe(200);
    expect(await room.text()).toContain('room');
    expect((await t.app.request('/rooms/not-an-id')).status).toBe(404);
  });

  it('serves hashed assets with a long cache life', async () => {
    const res = await t.app.request('/assets/app-1234.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect((await t.app.request('/assets/missing.js')).status).toBe(404);
    expect((await t.app.request('/assets/../index.html')).status).not.toBe(500);
  });

  it('says plainly when the UI is not built', async () => {
    const bare = await makeTestApp(new FakeRuntime(), { env: { STREAMBOX_WEB_DIR: join(dir, 'nothing') } });
    const res = await bare.app.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
    bare.close();
  });
});
