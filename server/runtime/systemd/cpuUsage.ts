/**
 * The CPU time of one unit, in nanoseconds. systemd's CPUUsageNSec first; where systemd cannot
 * tell ("[not set]": measured under systemd-nspawn on a host with hybrid cgroups, where the v1
 * cpuacct controller is read-only to the container), the unit's own cgroup v2 `cpu.stat`, which
 * the kernel keeps for every cgroup whatever controllers are on (usage_usec).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { I_PROPS, I_SERVICE, BusCallError, type SystemdBus } from './bus.js';
import { pathOfUnit } from './units.js';

const NOT_SET = 0xffffffffffffffffn;

/** Where this machine's cgroup v2 hierarchy is mounted: the whole tree (unified) or beside v1 (hybrid). */
export function cgroup2Mount(): string | null {
  return ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((dir) => existsSync(`${dir}/cgroup.procs`) && existsSync(`${dir}/cgroup.subtree_control`)) ?? null;
}

async function property(bus: SystemdBus, unit: string, name: string): Promise<unknown> {
  const [variant] = (await bus.call(pathOfUnit(unit), I_PROPS, 'Get', 'ss', [I_SERVICE, name])) as [{ value: unknown }];
  return variant.value;
}

/**
 * Null when the unit is not loaded, has no cgroup (not running) or nothing reports its CPU.
 * `cgroupRoot`: the directory systemd's ControlGroup paths are relative to (cgroup2Mount() when
 * this process shares the systemd's machine; a test on the host of a container passes the
 * container's).
 */
export async function unitCpuNs(bus: SystemdBus, unit: string, cgroupRoot: string | null): Promise<bigint | null> {
  try {
    const usage = await property(bus, unit, 'CPUUsageNSec');
    if (typeof usage === 'bigint' && usage !== NOT_SET) return usage;
    const group = await property(bus, unit, 'ControlGroup');
    if (typeof group !== 'string' || group === '' || cgroupRoot === null) return null;
    return await cpuStatNs(`${cgroupRoot}${group}/cpu.stat`);
  } catch (err) {
    if (err instanceof BusCallError) return null; // not loaded: the room is stopped or gone
    throw err;
  }
}

async function cpuStatNs(file: string): Promise<bigint | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null; // the cgroup went away between the two reads
  }
  const usec = /^usage_usec (\d+)$/m.exec(text)?.[1];
  return usec === undefined ? null : BigInt(usec) * 1000n;
}
