/**
 * "Other hosts" for tests: a network namespace joined to this machine by a veth pair, so a browser
 * or a server inside it reaches the appliance the way another machine on the network does, at a
 * non-loopback address (the appliance shares the host's network, and nginx listens on all of them).
 *
 *   const ns = await createNetns('participant');    // before booting the appliance: its own
 *                                                   // certificate then names ns.hostAddress
 *   await ns.exec(['curl', `https://${ns.hostAddress}:8443/`]);
 *   await ns.teardown();                            // in afterAll (also runs at process exit)
 *
 * Addresses: one /30 per namespace from 198.18.0.0/15 (RFC 2544's benchmark range, which no real
 * network uses): the host side takes the first address (ns.hostAddress, what the participant
 * dials), the namespace side the second (ns.address). No default route: a namespace reaches only
 * the host across its own link, and its loopback is its own (the host's 127.0.0.1 is not there).
 * Names: `sbx-<run>-<n>` for the namespace, `sbx-<run>-<n>h`/`n` for the veth ends, where <run> is
 * this process's PID in base 36, so leftovers of a crashed run are recognisable: every call first
 * removes `sbx-*` namespaces, links and /etc/netns dirs whose run's process is gone.
 * Name resolution inside: /etc/netns/NAME/hosts, which `ip netns exec` bind-mounts over /etc/hosts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTools, runCommand, type ExecResult } from './container.js';

const RUN = process.pid.toString(36);
const NETNS_ETC = '/etc/netns';

export interface Netns {
  /** The namespace's name (`ip netns exec NAME ...`). */
  name: string;
  /** Inside the namespace: its side of the veth pair. */
  address: string;
  /** On the host: the other side, the address this "other host" reaches the appliance at. */
  hostAddress: string;
  hostIf: string;
  nsIf: string;
  /** Runs a command inside; never rejects on a non-zero exit. */
  exec(cmd: string[], opts?: { env?: NodeJS.ProcessEnv }): Promise<ExecResult>;
  /** Starts a long-running process inside; teardown() stops it (by PID) if still running. */
  spawn(cmd: string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string }): ChildProcess;
  /** Replaces the namespace's /etc/hosts (`ip netns exec` bind-mounts it): name → address. */
  setHosts(entries: Record<string, string>): Promise<void>;
  /** Stops its processes, removes the namespace, the link and /etc/netns/NAME. Idempotent. */
  teardown(): Promise<void>;
}

const live = new Set<Netns>();
const liveProcs = new Map<Netns, Set<ChildProcess>>();
let counter = 0;
let safetyNet = false;

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryIp(args: string[]): void {
  try {
    ip(args);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The PID whose run made `name` (sbx-<run>-<n>, or with h/n for links), or null for foreign names. */
function ownerPid(name: string): number | null {
  const m = /^sbx-([0-9a-z]+)-\d+[hn]?$/.exec(name);
  if (!m) return null;
  const pid = parseInt(m[1]!, 36);
  return Number.isFinite(pid) ? pid : null;
}

/** Removes `sbx-*` namespaces, links and /etc/netns dirs left by runs whose process is gone. */
export function removeStale(): string[] {
  const removed: string[] = [];
  const stale = (name: string) => {
    const pid = ownerPid(name);
    return pid !== null && pid !== process.pid && !alive(pid);
  };
  for (const line of ip(['netns', 'list']).split('\n')) {
    const name = line.split(/\s+/)[0];
    if (name && stale(name)) {
      tryIp(['netns', 'del', name]);
      removed.push(`netns ${name}`);
    }
  }
  for (const line of ip(['-o', 'link', 'show']).split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    if (name && stale(name)) {
      tryIp(['link', 'del', name]);
      removed.push(`link ${name}`);
    }
  }
  if (existsSync(NETNS_ETC)) {
    for (const name of readdirSync(NETNS_ETC)) {
      if (stale(name)) {
        rmSync(join(NETNS_ETC, name), { recursive: true, force: true });
        removed.push(`${NETNS_ETC}/${name}`);
      }
    }
  }
  return removed;
}

/** The first /30 of 198.18.0.0/15 whose addresses no interface on the host holds yet. */
function freeSubnet(): { host: string; ns: string } {
  const used = new Set(ip(['-o', '-4', 'addr', 'show']).match(/198\.1[89]\.\d+\.\d+/g) ?? []);
  for (let i = 0; i < 32768; i++) {
    const base = (198 << 24) + (18 << 16) + i * 4;
    const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    const host = dotted(base + 1);
    const ns = dotted(base + 2);
    if (!used.has(host) && !used.has(ns)) return { host, ns };
  }
  throw new Error('no free /30 left in 198.18.0.0/15');
}

function stopProcs(procs: Set<ChildProcess> | undefined): void {
  for (const p of procs ?? []) {
    if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  procs?.clear();
}

function removeSync(ns: Netns): void {
  stopProcs(liveProcs.get(ns));
  tryIp(['netns', 'del', ns.name]);
  tryIp(['link', 'del', ns.hostIf]);
  rmSync(join(NETNS_ETC, ns.name), { recursive: true, force: true });
  live.delete(ns);
  liveProcs.delete(ns);
}

function installSafetyNet(): void {
  if (safetyNet) return;
  safetyNet = true;
  const cleanup = () => {
    for (const ns of [...live]) removeSync(ns);
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanup();
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

/**
 * Makes another host: namespace, veth pair on a fresh /30, loopback up, /etc/netns/NAME/hosts.
 * `subnet` picks the addresses instead (a host that must sit at a given address, e.g. a
 * stand-in cloud metadata server at 169.254.169.254): host side, namespace side, prefix length.
 */
export async function createNetns(role = 'host', opts: { subnet?: { host: string; ns: string; prefix: number } } = {}): Promise<Netns> {
  requireTools('Tests from another host (network namespaces)', ['ip'], 'iproute2');
  installSafetyNet();
  removeStale();
  const n = counter++;
  const name = `sbx-${RUN}-${n}`;
  const hostIf = `sbx-${RUN}-${n}h`;
  const nsIf = `sbx-${RUN}-${n}n`;
  if (hostIf.length > 15) throw new Error(`interface name too long: ${hostIf}`);
  const { host, ns: address } = opts.subnet ?? freeSubnet();
  const prefix = opts.subnet?.prefix ?? 30;
  const procs = new Set<ChildProcess>();
  const netns: Netns = {
    name,
    address,
    hostAddress: host,
    hostIf,
    nsIf,
    exec: (cmd, opts = {}) => runCommand('ip', ['netns', 'exec', name, ...cmd], { env: opts.env ?? process.env }),
    spawn(cmd, opts = {}) {
      // `ip netns exec` execs the command: the child's PID is the command's own.
      const child = spawn('ip', ['netns', 'exec', name, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
      procs.add(child);
      child.on('exit', () => procs.delete(child));
      return child;
    },
    async setHosts(entries) {
      const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost', ...Object.entries(entries).map(([h, a]) => `${a}\t${h}`)];
      await mkdir(join(NETNS_ETC, name), { recursive: true });
      await writeFile(join(NETNS_ETC, name, 'hosts'), lines.join('\n') + '\n');
    },
    async teardown() {
      for (const p of [...procs]) {
        if (p.pid === undefined || p.exitCode !== null || p.signalCode !== null) continue;
        const exited = new Promise<void>((r) => p.once('exit', () => r()));
        process.kill(p.pid, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      }
      removeSync(netns);
    },
  };
  live.add(netns);
  liveProcs.set(netns, procs);
  try {
    ip(['netns', 'add', name]);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    ip(['link', 'set', nsIf, 'netns', name]);
    ip(['addr', 'add', `${host}/${prefix}`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['-n', name, 'addr', 'add', `${address}/${prefix}`, 'dev', nsIf]);
    // No duplicate address detection for the link's IPv6 link-local address: it would settle a
    // second or two after the link is up, and that address change makes a browser already
    // started in the namespace fail what it was loading with ERR_NETWORK_CHANGED (seen in CI).
    execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', `f=/proc/sys/net/ipv6/conf/${nsIf}/accept_dad; [ ! -e "$f" ] || echo 0 > "$f"`], { stdio: ['ignore', 'pipe', 'pipe'] });
    ip(['-n', name, 'link', 'set', nsIf, 'up']);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    await netns.setHosts({ [`${role}.sbx`]: address });
  } catch (e) {
    removeSync(netns);
    throw new Error(`making network namespace ${name} (${role}) failed: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
  return netns;
}

/** Whether a namespace, a link or an /etc/netns dir of this name still exists (for tests of teardown). */
export function leftovers(ns: Pick<Netns, 'name' | 'hostIf'>): string[] {
  const found: string[] = [];
  if (ip(['netns', 'list']).split('\n').some((l) => l.split(/\s+/)[0] === ns.name)) found.push(`netns ${ns.name}`);
  if (ip(['-o', 'link', 'show']).includes(` ${ns.hostIf}@`) || ip(['-o', 'link', 'show']).includes(` ${ns.hostIf}:`)) found.push(`link ${ns.hostIf}`);
  if (existsSync(join(NETNS_ETC, ns.name))) found.push(`${NETNS_ETC}/${ns.name}`);
  return found;
}
