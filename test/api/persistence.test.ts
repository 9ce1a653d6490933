import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { json, makeTestApp } from '../support/testApp.js';
import { openDb, SCHEMA_VERSION } from '../../server/store/db.js';
import { RoomStore } from '../../server/store/roomStore.js';

describe('rooms survive a restart and are reconciled', () => {
  it('keeps rooms and desired states in the SQLite file, and reconcile brings the runtime in line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbx-persist-'));
    try {
      const first = new FakeRuntime();
      const a = await makeTestApp(first, { dir });
      const cookie = await a.login();
      const running = await (await a.app.request('/api/rooms', json({ name: 'keeps running', startUrl: 'https://example.org' }, cookie))).json();
      const stopped = await (await a.app.request('/api/rooms', json({ name: 'stopped', startUrl: 'https://example.org' }, cookie))).json();
      await a.app.request(`/api/rooms/${stopped.id}/stop`, { method: 'POST', headers: { cookie } });
      const deleting = await (await a.app.request('/api/rooms', json({ name: 'half deleted', startUrl: 'https://example.org' }, cookie))).json();
      // A crash in the middle of a delete: the row says 'deleting', the units still run.
      new RoomStore(a.db).setDesiredState(deleting.id, 'deleting', new Date().toISOString());
      a.close();

      // The service comes back on a host where nothing runs but an orphan and the stopped room.
      const second = new FakeRuntime();
      second.running.add('orphanorphanorphanorphan');
      second.running.add(stopped.id);
      second.running.add(deleting.id);
      const b = await makeTestApp(second, { dir });
      await b.ctx.rooms.reconcile();
      expect(second.calls).toEqual(expect.arrayContaining([`start ${running.id}`, `stop ${stopped.id}`, `stop ${deleting.id}`, `remove ${deleting.id}`, 'stop orphanorphanorphanorphan', 'remove orphanorphanorphanorphan']));
      expect(second.calls).not.toContain(`start ${stopped.id}`);
      expect([...second.running].sort()).toEqual([running.id]);
      const list = await (await b.app.request('/api/rooms', { headers: { cookie: await b.login() } })).json();
      expect(list.rooms.map((r: { name: string; status: { desiredState: string } }) => [r.name, r.status.desiredState])).toEqual([
        ['keeps running', 'running'],
        ['stopped', 'stopped'],
      ]);
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reconciles again when the runtime comes back (watch with null)', async () => {
    const runtime = new FakeRuntime();
    const t = await makeTestApp(runtime);
    const cookie = await t.login();
    const room = await (await t.app.request('/api/rooms', json({ name: 'r', startUrl: 'https://example.org' }, cookie))).json();
    t.ctx.rooms.watchRuntime();
    runtime.running.clear(); // e.g. systemd restarted
    runtime.emit(null);
    await t.ctx.rooms.requestReconcile();
    expect(runtime.running.has(room.id)).toBe(true);
    t.close();
  });

  it('uses WAL and records the schema version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbx-db-'));
    const db = openDb(join(dir, 'x.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openDb(join(dir, 'x.db'))).toThrow(/newer than this streambox/);
    rmSync(dir, { recursive: true, force: true });
  });
});
