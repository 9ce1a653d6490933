/**
 * The benchmark's CPU section: the room's pipeline with no viewer, then the admin service's and
 * nginx's CPU per receive-only viewer (1, 10, 50) for each kind of receiver: wss (the fast path
 * through TLS, what participants on HTTPS use), ws (plain HTTP, the MSE participants) and HLS.
 */
import type { Appliance } from '../harness/appliance.js';
import { sampleCpu, unitCounter, type containerHierarchies, type UnitCounter } from './cpu.js';
import type { Receivers } from './receivers.js';
import { failed, hostLoad, log, pct, record, sleep } from './report.js';

export type ReceiverKind = 'wss' | 'ws' | 'hls';

export interface CpuRun {
  hierarchies: ReturnType<typeof containerHierarchies>;
  roomId: string;
  windowMs: number;
  kinds: ReceiverKind[];
  receivers(kind: ReceiverKind, n: number): Receivers;
  closeReceivers(r: Receivers): Promise<void>;
}

export async function measureCpu(run: CpuRun): Promise<void> {
  const { roomId, windowMs } = run;
  const counter = (unit: string): UnitCounter | null => {
    try {
      const c = unitCounter(run.hierarchies, unit);
      log(`cpu of ${unit}: ${c.how}`);
      return c;
    } catch (e) {
      failed('cpu', unit, e);
      return null;
    }
  };
  const server = ['streambox-admin.service', 'nginx.service'].map(counter).filter((c): c is UnitCounter => c !== null);
  const pipeline = [`xvfb@${roomId}.service`, `ffmpeg@${roomId}.service`, `browser@${roomId}.service`, `pulse@${roomId}.service`].map(counter).filter((c): c is UnitCounter => c !== null);
  let base = new Map<string, number>();
  try {
    await sleep(3000);
    const load = hostLoad();
    base = await sampleCpu([...server, ...pipeline], windowMs);
    const busy = load();
    const g = (u: string) => base.get(u) ?? NaN;
    const xv = g(`xvfb@${roomId}.service`), ff = g(`ffmpeg@${roomId}.service`);
    record('room', 'pipeline CPU: Xvfb + ffmpeg (no viewer)', pct(xv + ff), `Xvfb ${pct(xv)}, ffmpeg ${pct(ff)} of a core; light page (clock); ${busy}`);
    record('room', 'kiosk Chromium (browser@) CPU', pct(g(`browser@${roomId}.service`)), `PulseAudio ${pct(g(`pulse@${roomId}.service`))}`);
    record('server', 'admin + nginx CPU with no viewer', pct(server.reduce((s, c) => s + (base.get(c.unit) ?? 0), 0)), server.map((c) => `${c.unit.replace('.service', '')} ${pct(base.get(c.unit)!)}`).join(', '));
  } catch (e) {
    failed('room', 'pipeline CPU', e);
  }
  if (server.length === 0) return;
  for (const kind of run.kinds) {
    for (const n of [1, 10, 50]) {
      const what = `admin + nginx CPU per viewer, ${n} receive-only`;
      const r = run.receivers(kind, n);
      try {
        await sleep(3000);
        const bytes0 = r.bytes();
        const load = hostLoad();
        const cpu = await sampleCpu(server, windowMs);
        const busy = load();
        const on = r.connected();
        const mbit = ((r.bytes() - bytes0) * 8) / (windowMs / 1000) / 1e6;
        if (on === 0 || mbit < 0.05 * n) throw new Error(`the clients took no stream (${on}/${n} on, ${mbit.toFixed(2)} Mbit/s in all): ${r.problems().join('; ') || 'no error seen'}`);
        const total = server.reduce((s, c) => s + (cpu.get(c.unit) ?? 0), 0);
        const idle = server.reduce((s, c) => s + (base.get(c.unit) ?? 0), 0);
        const detail = server.map((c) => `${c.unit.replace('.service', '')} ${pct(cpu.get(c.unit)!)}`).join(', ');
        // Per viewer actually served (the fast path seats a limited number; the rest are refused).
        const refused = on < n ? `; only ${on}/${n} served: ${r.problems().join('; ')}` : '';
        record(kind, what, pct(total / on), `total ${pct(total)} (${detail}); above idle ${pct((total - idle) / on)}/viewer; ${(mbit / on).toFixed(2)} Mbit/s each${refused}; ${busy}`);
      } catch (e) {
        failed(kind, what, e);
      }
      await run.closeReceivers(r);
    }
  }
}

export async function containerPid1(app: Appliance): Promise<number> {
  // hostPath gives /proc/PID1/root/...: the same PID the harness finds from nspawn.pid.
  const p = await app.hostPath('/');
  const pid = Number(/^\/proc\/(\d+)\//.exec(p)?.[1]);
  if (!Number.isFinite(pid)) throw new Error(`cannot find the container's PID 1 from ${p}`);
  return pid;
}
