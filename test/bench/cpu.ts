/**
 * CPU time of the appliance's units, read from the host.
 *
 * The container's systemd puts every unit in its own cgroup below the container's root cgroup (the
 * parent of its PID 1's `init.scope`). Which hierarchy has a CPU counter depends on the host's
 * layout, so we take the first that works for a unit:
 *   1. cgroup v2 (`0::` line, mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified): cpu.stat usage_usec
 *      (present even where the cpu controller is not enabled);
 *   2. cgroup v1 cpuacct: cpuacct.usage (ns), where the container's systemd made per-unit groups;
 *   3. any hierarchy's cgroup.procs (recursively), summing utime+stime of each process in /proc
 *      (misses processes that exited during the window: fine for long-running services).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const CLK_TCK = 100; // USER_HZ on Linux

interface Hierarchy {
  /** Host directory of the container's root cgroup in this hierarchy. */
  root: string;
  kind: 'v2' | 'cpuacct' | 'procs';
}

function mountOf(controllers: string): string | null {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  for (const line of mounts) {
    const [, dir, type, opts] = line.split(' ');
    if (!dir || !type || !opts) continue;
    if (controllers === '' && type === 'cgroup2') return dir;
    if (type === 'cgroup' && controllers !== '' && opts.split(',').includes(controllers)) return dir;
  }
  return null;
}

export function containerHierarchies(pid1: number): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of readFileSync(`/proc/${pid1}/cgroup`, 'utf8').trim().split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, , ctrls, rawPath] = m as unknown as [string, string, string, string];
    const path = rawPath.replace(/\/init\.scope$/, '');
    const names = ctrls.split(',');
    if (ctrls === '') {
      const mnt = mountOf('');
      if (mnt) out.push({ root: join(mnt, path), kind: 'v2' });
    } else if (names.includes('cpuacct')) {
      const mnt = mountOf('cpuacct');
      if (mnt) out.push({ root: join(mnt, path), kind: 'cpuacct' });
    } else if (names.includes('name=systemd')) {
      const mnt = mountOf('name=systemd');
      if (mnt) out.push({ root: join(mnt, path), kind: 'procs' });
    }
  }
  // v2 first, then cpuacct, then process sums.
  const rank = { v2: 0, cpuacct: 1, procs: 2 } as const;
  return out.sort((a, b) => rank[a.kind] - rank[b.kind]);
}

function findDir(root: string, name: string, depth = 4): string | null {
  if (depth < 0 || !existsSync(root)) return null;
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return null;
  }
  if (entries.includes(name)) return join(root, name);
  for (const e of entries) {
    const p = join(root, e);
    try {
      if (!statSync(p).isDirectory()) continue;
    } catch {
      continue;
    }
    const found = findDir(p, name, depth - 1);
    if (found) return found;
  }
  return null;
}

function procsUnder(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string) => {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) pids.push(Number(l));
      for (const e of readdirSync(d)) if (statSync(join(d, e)).isDirectory()) walk(join(d, e));
    } catch {
      // vanished
    }
  };
  walk(dir);
  return pids;
}

function procCpuUsec(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3); utime is field 14, stime 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** A unit's CPU counter (microseconds), or why there is none. */
export interface UnitCounter {
  unit: string;
  how: string;
  read(): number;
}

export function unitCounter(hierarchies: Hierarchy[], unit: string): UnitCounter {
  const tried: string[] = [];
  for (const h of hierarchies) {
    const dir = findDir(h.root, unit);
    if (!dir) {
      tried.push(`${h.kind}: no ${unit} under ${h.root}`);
      continue;
    }
    if (h.kind === 'v2' && existsSync(join(dir, 'cpu.stat'))) {
      const read = () => Number(/usage_usec (\d+)/.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))?.[1] ?? NaN);
      if (Number.isFinite(read())) return { unit, how: `cgroup v2 ${dir}/cpu.stat`, read };
    }
    if (h.kind === 'cpuacct' && existsSync(join(dir, 'cpuacct.usage'))) {
      return { unit, how: `cgroup v1 ${dir}/cpuacct.usage`, read: () => Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1000 };
    }
    if (procsUnder(dir).length > 0) {
      return { unit, how: `/proc sums of ${dir}/cgroup.procs`, read: () => procsUnder(dir).reduce((s, p) => s + procCpuUsec(p), 0) };
    }
    tried.push(`${h.kind}: ${dir} has no usable counter`);
  }
  throw new Error(`no CPU counter for ${unit} (${tried.join('; ') || 'no hierarchies'})`);
}

/** Samples counters over `ms`; returns each one's share of one core, in %. */
export async function sampleCpu(counters: UnitCounter[], ms: number): Promise<Map<string, number>> {
  const t0 = process.hrtime.bigint();
  const a = counters.map((c) => c.read());
  await new Promise((r) => setTimeout(r, ms));
  const b = counters.map((c) => c.read());
  const wallUsec = Number(process.hrtime.bigint() - t0) / 1000;
  return new Map(counters.map((c, i) => [c.unit, ((b[i]! - a[i]!) / wallUsec) * 100]));
}
