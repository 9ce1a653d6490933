/**
 * Rooms made and unmade many times on the booted appliance (issue 13 part 6): CreateRoom/DeleteRoom
 * cycles must leave the admin service's memory and open files, the appliance's processes, units,
 * env files, HLS files and rows where they started; a burst of parallel create/delete/start/stop
 * calls on the same and different rooms must end consistent (every row's units match its desired
 * state, no unit or file without a row). The figures are printed as before/after.
 *
 * CHURN_CYCLES sets the cycles (20 in CI; `CHURN_CYCLES=200` for the soak the issue asks for).
 */
import { describe, expect, it } from 'vitest';
import { useBootedAppliance } from '../support/bootedAppliance.js';
import { eventually } from '../support/eventually.js';

const PORT = 8800;
const CYCLES = 2 * Math.ceil(Number(process.env.CHURN_CYCLES ?? 20) / 2);
const PARALLEL_OPS = 50;
const ROOM_ID = /[a-z2-7]{24}/;
/** Small rooms: what is measured is bookkeeping, not encoding. */
const SMALL = { width: 320, height: 240, fps: 5 };

interface Footprint {
  rssMb: number;
  fds: number;
  processes: number;
  roomUnits: string[];
  envFiles: string[];
  hlsFiles: string[];
  rows: string[];
}

describe('rooms made and unmade many times', () => {
  const booted = useBootedAppliance(PORT);
  const { api } = booted;
  const sh = async (script: string) => (await booted.appliance.exec(['sh', '-c', script])).stdout.trim();
  const lines = (text: string) => text.split('\n').filter(Boolean).sort();

  async function footprint(): Promise<Footprint> {
    const pid = await sh('systemctl show -p MainPID --value streambox-admin');
    const rows = ((await (await api('/api/rooms')).json()) as { rooms: Array<{ id: string }> }).rooms.map((r) => r.id).sort();
    return {
      rssMb: Number(/VmRSS:\s+(\d+)/.exec(await sh(`cat /proc/${pid}/status`))![1]) / 1024,
      fds: Number(await sh(`ls /proc/${pid}/fd | wc -l`)),
      processes: Number(await sh('ps -e --no-headers | wc -l')),
      roomUnits: lines(await sh("systemctl list-units --all --plain --no-legend '*@*' | awk '{print $1 \":\" $3 \"/\" $4}'")).filter((u) => ROOM_ID.test(u)),
      envFiles: lines(await sh('ls /etc/streambox/rooms')),
      hlsFiles: lines(await sh('ls /run/streambox-hls 2>/dev/null || true')),
      rows,
    };
  }

  const create = (name: string) => api('/api/rooms', { method: 'POST', body: JSON.stringify({ name, startUrl: booted.pages.url('/tone'), ...SMALL }) });
  const print = (label: string, f: Footprint) =>
    console.log(`${label}: admin RSS ${f.rssMb.toFixed(1)} MB, ${f.fds} fds; ${f.processes} processes; ${f.roomUnits.length} room units, ${f.envFiles.length} room files, ${f.hlsFiles.length} HLS files, ${f.rows.length} rows`);

  /** The rooms an HLS file belongs to. */
  const hlsRooms = (f: Footprint) => new Set(f.hlsFiles.map((n) => ROOM_ID.exec(n)?.[0] ?? n));
  /**
   * Units, files and processes of deleted rooms go within seconds of the last call (nginx-rtmp
   * removes a stopped stream's HLS files a few seconds after it ended).
   */
  const settled = (base: Footprint) =>
    eventually(
      'the appliance back where it started',
      footprint,
      (f) => f.roomUnits.length === base.roomUnits.length && f.envFiles.length === base.envFiles.length && [...hlsRooms(f)].every((id) => f.rows.includes(id)) && f.processes <= base.processes + 2,
      30_000,
    );

  it(`CreateRoom/DeleteRoom ${CYCLES} times leaves nothing behind`, async () => {
    // One cycle first, so lazily made things (connections, caches, compiled code) are in the baseline.
    const warm = (await (await create('warm-up')).json()) as { id: string };
    expect((await api(`/api/rooms/${warm.id}`, { method: 'DELETE' })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 3000));
    const before = await footprint();
    print('before', before);
    const started = Date.now();
    const rss: number[] = [before.rssMb];
    for (let i = 1; i <= CYCLES; i++) {
      const res = await create(`churn ${i}`);
      expect(res.status, await res.clone().text()).toBe(201);
      const { id } = (await res.json()) as { id: string };
      expect((await api(`/api/rooms/${id}`, { method: 'DELETE' })).status).toBe(204);
      if (i % (CYCLES / 2) === 0) rss.push((await footprint()).rssMb);
    }
    console.log(`${CYCLES} cycles in ${((Date.now() - started) / 1000).toFixed(1)} s; admin RSS ${rss.map((r) => r.toFixed(1)).join(' -> ')} MB`);
    const after = await settled(before);
    print('after', after);
    expect(after.rows).toEqual(before.rows);
    expect(after.roomUnits).toEqual(before.roomUnits);
    expect(after.envFiles).toEqual(before.envFiles);
    expect([...hlsRooms(after)], 'HLS files of deleted rooms').toEqual([]);
    expect(after.fds, 'admin open files').toBeLessThanOrEqual(before.fds + 3);
    // A leak grows with every cycle; V8 growing its heap to a working size does not keep growing.
    const [, half, end] = rss as [number, number, number];
    expect(end - half, `admin RSS growth over the second half of the cycles (MB; first half ${(half - rss[0]!).toFixed(1)})`).toBeLessThan(Math.max(8, (half - rss[0]!) * 0.75));
  }, 900_000);

  it(`${PARALLEL_OPS} parallel create/delete/start/stop calls end consistent`, async () => {
    const before = await footprint();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await create(`race ${i}`)).json()) as { id: string }).id);
    // A fixed shuffle of operations over the same three rooms and new ones, all at once.
    const ops = Array.from({ length: PARALLEL_OPS }, (_, i) => {
      const id = ids[i % ids.length]!;
      switch (i % 5) {
        case 0:
          return create(`race new ${i}`).then(async (r) => {
            if (r.status === 201) ids.push(((await r.json()) as { id: string }).id);
            return r.status;
          });
        case 1:
          return api(`/api/rooms/${id}/stop`, { method: 'POST' }).then((r) => r.status);
        case 2:
          return api(`/api/rooms/${id}/start`, { method: 'POST' }).then((r) => r.status);
        case 3:
          return i > PARALLEL_OPS / 2 ? api(`/api/rooms/${id}`, { method: 'DELETE' }).then((r) => r.status) : api(`/api/rooms/${id}`).then((r) => r.status);
        default:
          return api(`/api/rooms/${id}/configuration`).then((r) => r.status);
      }
    });
    const statuses = await Promise.all(ops);
    // Every answer is a deliberate one: done, not found (deleted meanwhile), or refused (capacity, being deleted).
    for (const s of statuses) expect([200, 201, 204, 404, 409]).toContain(s);
    console.log(`answers: ${Object.entries(statuses.reduce<Record<number, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {})).map(([s, n]) => `${n}x ${s}`).join(', ')}`);

    // Each row's units match what it should be; nothing exists for a room without a row.
    const rooms = ((await (await api('/api/rooms')).json()) as { rooms: Array<{ id: string; status: { desiredState: string } }> }).rooms;
    const known = new Set(rooms.map((r) => r.id));
    for (const room of rooms) {
      const target = await sh(`systemctl is-active room@${room.id}.target || true`);
      if (room.status.desiredState === 'running') expect(['active', 'activating'], `room@${room.id}.target`).toContain(target);
      else expect(['inactive', 'failed', 'deactivating'], `room@${room.id}.target`).toContain(target);
    }
    const f = await footprint();
    const activeUnits = lines(await sh("systemctl list-units --state=active,activating --plain --no-legend '*@*' | awk '{print $1}'")).filter((u) => ROOM_ID.test(u));
    for (const unit of activeUnits) expect(known.has(ROOM_ID.exec(unit)![0]), `${unit} runs for a room with no row`).toBe(true);
    for (const file of f.envFiles) expect(known.has(ROOM_ID.exec(file)?.[0] ?? ''), `${file} without a row`).toBe(true);

    for (const room of rooms) expect((await api(`/api/rooms/${room.id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await settled(before);
    print('after the parallel calls and deleting every room', after);
    expect(after.rows).toEqual(before.rows);
    expect(after.envFiles).toEqual(before.envFiles);
  }, 600_000);
});
