/**
 * A full disk under the data directory (issue 13 part 5), on a real filesystem that really fills
 * up (a small tmpfs, mounted by the test: needs root, as the whole suite does): CreateRoom gets a
 * clear 507 storage_full, nothing is made (no row, no unit started), and the same call works once
 * space returns, with the database intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { fillUntilFull } from '../support/fillDisk.js';
import { json, makeTestApp, type TestApp } from '../support/testApp.js';

describe('a full disk under the data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sbx-full-'));
  const filler = join(dir, 'filler');
  let runtime: FakeRuntime;
  let t: TestApp;
  let cookie: string;

  beforeAll(async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    runtime = new FakeRuntime();
    t = await makeTestApp(runtime, { dir });
    cookie = await t.login();
  });
  afterAll(() => {
    t?.close();
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => (t.db.prepare('SELECT count(*) AS n FROM rooms').get() as { n: number }).n;
  const create = (name: string) => t.app.request('/api/rooms', json({ name, startUrl: 'https://example.org' }, cookie));

  it('refuses CreateRoom with 507 storage_full, makes nothing, and works again once space returns', async () => {
    expect((await create('before')).status).toBe(201);
    fillUntilFull(filler, 64 * 1024);
    const calls = runtime.calls.length;
    const res = await create('on a full disk');
    expect(res.status).toBe(507);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('storage_full');
    expect(body.error.message).toMatch(/disk is full.*nothing was changed/);
    expect(rows()).toBe(1);
    expect(runtime.calls.length, 'no unit started for the refused room').toBe(calls);
    // Reading still works on a full disk.
    expect((await t.app.request('/api/rooms', { headers: { cookie } })).status).toBe(200);

    rmSync(filler);
    expect((await create('after')).status).toBe(201);
    expect(rows()).toBe(2);
    expect(t.db.pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
