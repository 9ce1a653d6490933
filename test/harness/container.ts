/**
 * Real systemd for tests: a cached Debian root (debootstrap) booted with systemd-nspawn.
 *
 * A thin wrapper over image/container/sbx (the shell library image/container/lib.sh does the work
 * and explains the host's quirks). Typical use in a vitest file:
 *
 *   requireRoot();                                         // in beforeAll: fail loudly, never skip
 *   const root = await buildRoot({ name: 'trixie-minimal' }); // cached under <repo>/.cache/roots
 *   const c = await bootContainer({ root, name: 't1', stateDir });
 *   await c.waitRunning();
 *   // talk to c.busAddress with dbus-next, or c.exec(['systemctl', ...])
 *   await c.stop();                                        // in afterAll
 *
 * Things to know:
 * - Containers boot with --volatile=overlay by default: the cached root stays read-only under a
 *   tmpfs, so every boot starts clean and several containers can share one root at once (nspawn
 *   takes a shared lock on the root then; a writable boot takes an exclusive one).
 * - Without --private-network (see extraArgs) a container shares the host's network namespace.
 * - The container's system bus is STATE_DIR/dbus/system_bus_socket on the host.
 * - Containers still running when the test process ends (exit, SIGTERM, SIGINT) are stopped as a
 *   safety net; call stop() in afterAll anyway.
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SBX = join(REPO_ROOT, 'image', 'container', 'sbx');

/** Where built roots live: $STREAMBOX_CACHE_DIR, else <repo>/.cache (git-ignored). */
export function cacheDir(): string {
  return process.env.STREAMBOX_CACHE_DIR ?? join(REPO_ROOT, '.cache');
}

/** Throws a clear error unless we are root with systemd-nspawn, debootstrap and nsenter at hand. */
export function requireRoot(): void {
  requireTools('Real-systemd tests', ['systemd-nspawn', 'debootstrap', 'nsenter'], 'debootstrap systemd-container util-linux');
}

/** Throws a clear error naming every missing piece unless we are root with `tools` on PATH. */
export function requireTools(what: string, tools: string[], packages: string): void {
  const problems: string[] = [];
  const uid = process.getuid?.();
  if (uid !== 0) problems.push(`these tests must run as root (uid is ${uid ?? 'unknown'})`);
  for (const tool of tools) {
    if (!onPath(tool)) problems.push(`${tool} is not installed (or not on PATH)`);
  }
  if (problems.length > 0) {
    throw new Error(
      `${what} cannot run here:\n  - ` +
        problems.join('\n  - ') +
        `\nThey need root and \`apt-get install ${packages}\`.` +
        '\nThey fail rather than skip on purpose: a skipped system test hides a broken machine.',
    );
  }
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sbx ARGS...`; never rejects on a non-zero exit. `echo` copies stderr (progress) live. */
function run(args: string[], echo = false, env = process.env): Promise<ExecResult> {
  return runCommand(SBX, args, { echo, env });
}

/** Runs a command; never rejects on a non-zero exit. `echo` copies its stderr (progress) live. */
export function runCommand(cmd: string, args: string[], opts: { echo?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  const { echo = false, env = process.env } = opts;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (echo) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({ code: code ?? 128, stdout, stderr: signal ? `${stderr}killed by ${signal}\n` : stderr }),
    );
  });
}

/** Runs `sbx ARGS...` and returns its stdout; rejects with its stderr on failure. */
async function sbx(args: string[]): Promise<string> {
  const r = await run(args);
  if (r.code !== 0) {
    throw new Error(`sbx ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr.trimEnd()}`);
  }
  return r.stdout;
}

/** Paths go to sbx in space-separated env lists: refuse whitespace rather than split wrongly. */
function spaceFree(what: string, value: string): string {
  if (/\s/.test(value)) throw new Error(`${what} must not contain whitespace: ${JSON.stringify(value)}`);
  return value;
}

export interface BuildRootOptions {
  /** Directory name under <cache>/roots (one name per distinct recipe, or they evict each other). */
  name: string;
  /** Debian suite; default trixie. */
  suite?: string;
  /** Packages on top of systemd, systemd-sysv and dbus. */
  packages?: string[];
  /** A script run inside the new root (as root, in a one-shot nspawn, not booted). */
  setupScript?: string;
  /** Its environment. Part of the cache key. */
  setupEnv?: Record<string, string>;
  /** Host directories the setup script can see (e.g. the repo at /src). */
  setupBinds?: { host: string; guest: string }[];
  /** Files or directories whose content is part of the cache key (what the script reads). */
  keyFiles?: string[];
}

/** Builds (or finds up to date in the cache) a Debian root; returns its path. */
export async function buildRoot(opts: BuildRootOptions): Promise<string> {
  const out = join(cacheDir(), 'roots', opts.name);
  const args = ['build-root', out, opts.suite ?? 'trixie', (opts.packages ?? []).join(',')];
  if (opts.setupScript) {
    args.push(resolve(opts.setupScript));
    for (const [k, v] of Object.entries(opts.setupEnv ?? {})) args.push(`${k}=${v}`);
  } else if (opts.setupEnv && Object.keys(opts.setupEnv).length > 0) {
    throw new Error('buildRoot: setupEnv given without setupScript');
  }
  const env = {
    ...process.env,
    SBX_KEY_FILES: (opts.keyFiles ?? []).map((f) => spaceFree('keyFiles', resolve(f))).join(' '),
    SBX_SETUP_BIND: (opts.setupBinds ?? [])
      .map((b) => `${spaceFree('setupBinds', resolve(b.host))}:${spaceFree('setupBinds', b.guest)}`)
      .join(' '),
  };
  // Progress lines ("==> debootstrap ...") are echoed as they come: a first build takes a minute.
  const r = await run(args, true, env);
  if (r.code !== 0) throw new Error(`sbx build-root ${out} failed (exit ${r.code}):\n${r.stderr.trimEnd()}`);
  return out;
}

export interface Bind {
  host: string;
  guest: string;
  readOnly?: boolean;
}

export interface BootOptions {
  /** A root from buildRoot(). */
  root: string;
  /** Machine name (also the hostname); unique among running containers. */
  name: string;
  /** Host directory for the PID file, console.log and the bus socket; keep its path short (< ~80 chars). */
  stateDir: string;
  /** Boot on a tmpfs overlay over the read-only root (default true; false writes into the cached root). */
  volatile?: boolean;
  binds?: Bind[];
  /** More systemd-nspawn options, e.g. ['--private-network']. */
  extraArgs?: string[];
}

export type SystemState = 'running' | 'degraded';

export interface Container {
  readonly name: string;
  /** PID of systemd-nspawn on the host. */
  readonly pid: number;
  readonly stateDir: string;
  /** The container's system bus, for dbus-next's sessionBus({ busAddress }) or busctl --address. */
  readonly busAddress: string;
  readonly consoleLog: string;
  /** Runs a command inside (all namespaces, root, clean env); resolves with its exit code. */
  exec(cmd: string[]): Promise<ExecResult>;
  /** Waits until `systemctl is-system-running` says running or degraded (failed units go to stderr). */
  waitRunning(timeoutMs?: number): Promise<SystemState>;
  /** Halts the container (SIGTERM, SIGKILL after 30 s) and cleans up. Safe to call twice. */
  stop(): Promise<void>;
}

const live = new Set<string>(); // state dirs of containers not yet stopped
let safetyNetInstalled = false;

/**
 * Stops leftover containers when the process ends: on 'exit', and on SIGTERM/SIGINT/SIGHUP, which
 * end a process without an 'exit' event (vitest tears its fork workers down with SIGTERM).
 */
function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  const stopLeftovers = (): void => {
    for (const stateDir of live) {
      try {
        execFileSync(SBX, ['stop', stateDir], { stdio: 'ignore' });
      } catch {
        // best effort: the process is ending anyway
      }
    }
    live.clear();
  };
  process.on('exit', stopLeftovers);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      stopLeftovers();
      // Listening replaced the default action (die); if nobody else listens, die as before.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

/** Boots a container in the background; call waitRunning() before using it. */
export async function bootContainer(opts: BootOptions): Promise<Container> {
  const stateDir = resolve(opts.stateDir);
  const args = ['boot', resolve(opts.root), opts.name, stateDir];
  if (opts.volatile ?? true) args.push('--volatile=overlay');
  for (const b of opts.binds ?? []) {
    if (b.host.includes(':') || b.guest.includes(':')) throw new Error(`bind paths must not contain ':': ${b.host}`);
    args.push(`${b.readOnly ? '--bind-ro' : '--bind'}=${resolve(b.host)}:${b.guest}`);
  }
  args.push(...(opts.extraArgs ?? []));

  installSafetyNet();
  const pid = Number((await sbx(args)).trim());
  live.add(stateDir);

  return {
    name: opts.name,
    pid,
    stateDir,
    busAddress: `unix:path=${join(stateDir, 'dbus', 'system_bus_socket')}`,
    consoleLog: join(stateDir, 'console.log'),
    exec: (cmd) => run(['exec', stateDir, ...cmd]),
    async waitRunning(timeoutMs = 120_000) {
      const r = await run(['wait', stateDir, String(Math.ceil(timeoutMs / 1000))]);
      if (r.code !== 0) throw new Error(`container ${opts.name} did not boot:\n${r.stderr.trimEnd()}`);
      const state = r.stdout.trim() as SystemState;
      if (state === 'degraded') process.stderr.write(`container ${opts.name} is degraded; failed units:\n${r.stderr}`);
      return state;
    },
    async stop() {
      await sbx(['stop', stateDir]);
      live.delete(stateDir);
    },
  };
}
