/**
 * Coming back as the same participant (issue 13; server/presence/rejoins.ts), over real
 * WebSockets: a page whose channel dropped shows its last ID and key and is the same participant
 * again, with a new key, within the grace period; a wrong, spent or late key is someone new. After
 * a restart of the service (a new app on the same database), the driver's seat waits for them:
 * others who come back first, even asking, do not get control; the driver does, and a VNC token
 * with the new key; a driver who does not come back in time frees the seat.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRuntime } from '../support/fakeRuntime.js';
import { joinRoom, json, listen, makeTestApp, type Member, type TestApp } from '../support/testApp.js';
import { REJOIN_GRACE_MS } from '../../server/presence/rejoins.js';

type State = { holder: string | null; requests: string[]; participants: Array<{ id: string; name: string }> };

describe('rejoining the room channel', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  async function start(dir: string) {
    const t = await makeTestApp(new FakeRuntime(), { dir });
    const { server, host } = await listen(t);
    const members: Member[] = [];
    const stop = () => {
      for (const m of members) m.ws.close();
      server.close();
      t.close();
    };
    cleanups.push(stop);
    const join = async (roomId: string, name: string, resume?: string) => {
      const m = await joinRoom(host, roomId, name, undefined, resume);
      members.push(m);
      return m;
    };
    return { t, host, join, stop };
  }
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbx-rejoin-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  const newRoom = async (t: TestApp) => (await (await t.app.request('/api/rooms', json({ name: 'R', startUrl: 'https://example.org' }, await t.login()))).json()).id as string;
  const stateWith = (m: Member, pred: (s: State) => boolean, timeoutMs?: number) => m.next((msg) => msg.type === 'state' && pred(msg as never), timeoutMs) as Promise<State>;
  const token = (t: TestApp, roomId: string, m: Member) => t.app.request(`/api/rooms/${roomId}/vnc-token`, json({ participantId: m.you.id, participantKey: m.you.key }));

  it('takes back a page that dropped as the same participant with a new key; a wrong, spent or late key is someone new', async () => {
    const { t, join } = await start(tempDir());
    const roomId = await newRoom(t);
    const ana = await join(roomId, 'Ana');
    const bo = await join(roomId, 'Bo');
    await stateWith(ana, (s) => s.participants.length === 2);
    ana.messages.length = 0; // from here on, only what follows the close
    bo.ws.close();
    await stateWith(ana, (s) => s.participants.length === 1);

    const back = await join(roomId, 'Bo', `${bo.you.id}.${bo.you.key}`);
    expect(back.you.id).toBe(bo.you.id);
    expect(back.you.key).not.toBe(bo.you.key);
    expect((await stateWith(ana, (s) => s.participants.length === 2)).participants.map((p) => p.id)).toEqual([ana.you.id, bo.you.id]);

    // While the ID is connected, its key is no way in (a second tab, or a thief).
    expect((await join(roomId, 'Bo', `${back.you.id}.${back.you.key}`)).you.id).not.toBe(bo.you.id);
    ana.messages.length = 0;
    back.ws.close();
    await stateWith(ana, (s) => !s.participants.some((p) => p.id === bo.you.id));
    expect((await join(roomId, 'Bo', `${bo.you.id}.${bo.you.key}`)).you.id, 'the spent key').not.toBe(bo.you.id);
    expect((await join(roomId, 'Bo', `${bo.you.id}.${'x'.repeat(32)}`)).you.id, 'a wrong key').not.toBe(bo.you.id);
    expect((await join(roomId, 'Bo', `${bo.you.id}`)).you.id, 'no key').not.toBe(bo.you.id);
    t.clock.now += REJOIN_GRACE_MS + 1000;
    expect((await join(roomId, 'Bo', `${back.you.id}.${back.you.key}`)).you.id, 'too late').not.toBe(bo.you.id);
  });

  for (const how of ['a clean shutdown', 'a crash'] as const) {
    it(`keeps the driver's seat across a restart of the service (${how}): others coming back first do not take it`, async () => {
      const dir = tempDir();
      const first = await start(dir);
      const roomId = await newRoom(first.t);
      const ana = await first.join(roomId, 'Ana'); // the first in gets control
      await stateWith(ana, (s) => s.holder === ana.you.id);
      const bo = await first.join(roomId, 'Bo');
      await stateWith(bo, (s) => s.participants.length === 2);
      // A crash writes nothing on its way down: the new service opens the database while the old one still has it.
      if (how === 'a clean shutdown') first.stop();
      const second = await start(dir);
      if (how === 'a crash') first.stop();

      const bo2 = await second.join(roomId, 'Bo', `${bo.you.id}.${bo.you.key}`);
      expect(bo2.you.id).toBe(bo.you.id);
      bo2.send({ type: 'request' });
      const waiting = await stateWith(bo2, (s) => s.requests.includes(bo.you.id));
      expect(waiting.holder, 'nobody drives while the seat waits').toBeNull();
      expect((await token(second.t, roomId, bo2)).status).toBe(403);

      const ana2 = await second.join(roomId, 'Ana', `${ana.you.id}.${ana.you.key}`);
      expect(ana2.you.id).toBe(ana.you.id);
      expect((await stateWith(bo2, (s) => s.holder === ana.you.id)).requests).toEqual([bo.you.id]);
      expect((await token(second.t, roomId, ana2)).status).toBe(200);
    });
  }

  it('frees the seat of a driver who does not come back in time: the one who asked gets control', async () => {
    const dir = tempDir();
    const first = await start(dir);
    const roomId = await newRoom(first.t);
    const ana = await first.join(roomId, 'Ana');
    await stateWith(ana, (s) => s.holder === ana.you.id);
    const bo = await first.join(roomId, 'Bo');
    await stateWith(bo, (s) => s.participants.length === 2);
    first.stop();

    const second = await start(dir);
    const bo2 = await second.join(roomId, 'Bo', `${bo.you.id}.${bo.you.key}`);
    await stateWith(bo2, (s) => s.participants.length === 1);
    second.t.clock.now += REJOIN_GRACE_MS + 1000; // the channel's one-second tick sees the seat expire
    expect((await stateWith(bo2, (s) => s.holder === bo.you.id, 5000)).holder).toBe(bo.you.id);
  });
});
