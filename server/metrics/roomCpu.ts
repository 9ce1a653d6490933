/**
 * Each running room's CPU, as top would say it (% of one core: a room busy on both cores of a
 * 2-core host reads 200 %), from the runtime's CPU counters (systemd's CPUUsageNSec of the room's
 * members). A timer samples every few seconds, so a dashboard or a scrape reads a number from
 * memory and costs systemd nothing; the timer asks only for rooms that are meant to run.
 *
 * A member restarting starts its counter again: a sample where the total went down is no
 * reading, and the next one is.
 */
import type { RoomRuntime } from '../runtime/types.js';

export const CPU_SAMPLE_MS = 5000;

interface Sample {
  at: number;
  ns: number;
}

export interface RoomCpuOptions {
  runtime: RoomRuntime;
  /** The rooms worth sampling now (those meant to run). */
  roomIds: () => string[];
  now: () => number;
  intervalMs?: number;
}

export class RoomCpu {
  private readonly last = new Map<string, Sample>();
  private readonly percent = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private sampling = false;

  constructor(private readonly opts: RoomCpuOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sample(), this.opts.intervalMs ?? CPU_SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** % of one core over the last interval, or null before two readings (or when none comes). */
  of(roomId: string): number | null {
    return this.percent.get(roomId) ?? null;
  }

  /** One round of readings (the timer's; tests call it with their own clock). */
  async sample(): Promise<void> {
    if (this.sampling) return; // a slow bus: skip a round rather than pile them up
    this.sampling = true;
    try {
      const ids = this.opts.roomIds();
      this.forgetOthers(new Set(ids));
      await Promise.all(ids.map((id) => this.sampleRoom(id)));
    } finally {
      this.sampling = false;
    }
  }

  private async sampleRoom(roomId: string): Promise<void> {
    let ns: number | null;
    try {
      ns = await this.opts.runtime.cpuTimeNs(roomId);
    } catch {
      ns = null; // the runtime is unreachable: its own status says so, this is just no reading
    }
    const at = this.opts.now();
    const before = this.last.get(roomId);
    if (ns === null) {
      this.last.delete(roomId);
      this.percent.delete(roomId);
      return;
    }
    this.last.set(roomId, { at, ns });
    if (!before || at <= before.at || ns < before.ns) return; // first reading, or a member restarted
    this.percent.set(roomId, ((ns - before.ns) / 1e6 / (at - before.at)) * 100);
  }

  private forgetOthers(keep: Set<string>): void {
    for (const id of [...this.last.keys(), ...this.percent.keys()]) {
      if (keep.has(id)) continue;
      this.last.delete(id);
      this.percent.delete(id);
    }
  }
}
