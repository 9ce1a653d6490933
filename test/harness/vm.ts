/**
 * A VM for tests: boots a disk image under QEMU with user-mode networking and forwarded ports,
 * the way an operator would boot the streambox image.
 *
 *   requireVmTools();                                   // in beforeAll: fail loudly, never skip
 *   const vm = await bootVm({ image, workDir, forwards: [80, 22] });
 *   await vm.waitForConsole(/login:/, 300_000);         // the serial console, as text
 *   await vm.ssh(['systemctl', 'is-system-running']);   // root, with a key given at boot
 *   await vm.powerdown();                               // ACPI power button until QEMU exits
 *
 * Things to know (measured on the project's machines, see /work/shared/notes/platform.md):
 * - The image is never written: the VM runs on a qcow2 overlay in workDir.
 * - Accelerator: STREAMBOX_VM_ACCEL=kvm|tcg|auto (default auto: KVM when /dev/kvm is there, else
 *   TCG). KVM fails three ways here: QEMU aborts at start ("failed to set MSR", with -cpu host);
 *   the guest hits "KVM internal error" and QEMU pauses in the `internal-error` state, never
 *   exiting; or QEMU says `running` while the guest makes no progress. With `auto`, any of them
 *   during the first boot (the guest's systemd must start within a minute) restarts the VM under
 *   TCG. Every wait also polls QMP `query-status`, so a later stall in `internal-error` fails the
 *   wait at once, with the console log, instead of hanging until its timeout.
 * - SSH: a fresh key is handed to the guest as the systemd credential ssh.authorized_keys.root
 *   (SMBIOS OEM string); the image's systemd writes it to /root/.ssh/authorized_keys. That is
 *   the image's documented way in (docs/vm-image.md, "First boot and first login"), not a test
 *   backdoor.
 * - Shutdown: `system_powerdown` is an ACPI button press; one sent while the guest is still
 *   booting can be lost, so it is resent every few seconds until QEMU exits.
 * - A VM still running when the test process ends is killed (its QEMU PID) as a safety net.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { freePort } from '../support/freePort.js';
import { join, resolve } from 'node:path';
import { requireTools, type ExecResult } from './container.js';

export type Accel = 'kvm' | 'tcg';

const KERNEL_PANIC = /Kernel panic - not syncing/;

/** Throws a clear error unless root with QEMU, qemu-img, packer and an SSH client at hand. */
export function requireVmTools(): void {
  requireTools(
    'VM image tests',
    ['qemu-system-x86_64', 'qemu-img', 'packer', 'ssh', 'ssh-keygen', 'debootstrap', 'systemd-nspawn', 'mkfs.ext4', 'sfdisk'],
    'packer qemu-system-x86 qemu-utils openssh-client debootstrap systemd-container e2fsprogs fdisk',
  );
}

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<ExecResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? 128, stdout, stderr: signal ? `${stderr}killed by ${signal}\n` : stderr });
    });
  });
}

// ------------------------------------------------------------------ QMP
/** The smallest QMP client: one command at a time, events ignored. */
class Qmp {
  private buf = '';
  private waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  private closed = false;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>);
      }
    });
    const fail = () => {
      this.closed = true;
      this.waiting?.reject(new Error('QMP connection closed'));
      this.waiting = null;
    };
    sock.on('close', fail);
    sock.on('error', fail);
  }

  /**
   * Connects once QEMU has made the socket. QEMU serves one QMP client at a time: a second
   * client connects but never gets a greeting, so each attempt has a deadline too, and `gone`
   * stops the retries when that QEMU has exited.
   */
  static async connect(path: string, timeoutMs: number, gone: () => boolean): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let sock: Socket | undefined;
      try {
        if (gone()) throw new Error('qemu exited');
        sock = await new Promise<Socket>((res, rej) => {
          const s = createConnection(path);
          s.once('connect', () => res(s));
          s.once('error', rej);
        });
        const qmp = new Qmp(sock);
        const left = Math.max(1000, deadline - Date.now());
        await withTimeout(qmp.greeting(), left, 'no QMP greeting');
        await withTimeout(qmp.execute('qmp_capabilities'), left, 'no answer to qmp_capabilities');
        return qmp;
      } catch (err) {
        sock?.destroy();
        if (gone() || Date.now() > deadline) throw new Error(`QMP socket ${path}: ${(err as Error).message}`);
        await sleep(100);
      }
    }
  }

  private greetingWaiter: ((v: unknown) => void) | null = null;
  private greeting(): Promise<unknown> {
    return new Promise((res) => (this.greetingWaiter = res));
  }

  private onMessage(msg: Record<string, unknown>): void {
    if ('QMP' in msg) {
      this.greetingWaiter?.(msg);
      this.greetingWaiter = null;
    } else if ('return' in msg) {
      this.waiting?.resolve(msg.return);
      this.waiting = null;
    } else if ('error' in msg) {
      this.waiting?.reject(new Error(`QMP error: ${JSON.stringify(msg.error)}`));
      this.waiting = null;
    } // events are ignored
  }

  execute(command: string): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('QMP connection closed'));
    if (this.waiting) return Promise.reject(new Error('QMP: one command at a time'));
    return new Promise((res, rej) => {
      this.waiting = { resolve: res, reject: rej };
      this.sock.write(`${JSON.stringify({ execute: command })}\n`);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ------------------------------------------------------------------ VM
export interface VmOptions {
  /** qcow2 to boot from (BIOS firmware, its own bootloader); never written. */
  image: string;
  /** Directory for the overlay disk, console.log, the QMP socket and the SSH key. */
  workDir: string;
  /** Guest TCP ports to forward from 127.0.0.1 (host ports are picked free). */
  forwards: number[];
  memoryMiB?: number;
  cpus?: number;
  /** Default: $STREAMBOX_VM_ACCEL, else auto. */
  accel?: Accel | 'auto';
  /** QEMU -cpu; default host under KVM, max under TCG. */
  cpu?: string;
}

export interface Vm {
  /** The accelerator the VM ended up running with. */
  readonly accel: Accel;
  readonly consoleLog: string;
  /** 127.0.0.1 port forwarded to the guest's PORT. */
  hostPort(guestPort: number): number;
  /** The serial console so far. */
  console(): string;
  /** Waits until the serial console matches RE; fails early if QEMU exits or the guest stalls. */
  waitForConsole(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Waits for FN to return a value OK accepts, checking the VM stays alive meanwhile. */
  waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T>;
  /** Runs a command in the guest as root over SSH (forwarded port 22). */
  ssh(cmd: string[], timeoutMs?: number): Promise<ExecResult>;
  /** QMP query-status: running, paused, internal-error, shutdown... */
  status(): Promise<string>;
  /** Presses the ACPI power button every few seconds until QEMU exits; resolves with its exit code. */
  powerdown(timeoutMs?: number): Promise<number | null>;
  /** Kills QEMU (SIGKILL) if it still runs. Safe to call twice. */
  kill(): Promise<void>;
  readonly exited: boolean;
}

const live = new Set<ChildProcess>();
let safetyNetInstalled = false;
function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  const killAll = () => {
    for (const child of live) child.kill('SIGKILL');
    live.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

function defaultAccel(): Accel | 'auto' {
  const v = process.env.STREAMBOX_VM_ACCEL ?? 'auto';
  if (v !== 'kvm' && v !== 'tcg' && v !== 'auto') throw new Error(`STREAMBOX_VM_ACCEL must be kvm, tcg or auto, not ${v}`);
  return v;
}

function kvmPresent(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

interface Running {
  child: ChildProcess;
  qmp: Qmp;
  exit: Promise<number | null>;
  exitCode: number | null | undefined; // undefined while running
  stderr: string;
}

export async function bootVm(opts: VmOptions): Promise<Vm> {
  const workDir = resolve(opts.workDir);
  mkdirSync(workDir, { recursive: true });
  const consoleLog = join(workDir, 'console.log');
  const overlay = join(workDir, 'disk.qcow2');
  const key = join(workDir, 'ssh-key');

  const ports = new Map<number, number>();
  for (const guest of opts.forwards) ports.set(guest, await freePort());
  if (!ports.has(22)) ports.set(22, await freePort());

  rmSync(key, { force: true });
  rmSync(`${key}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'streambox-test', '-f', key]);
  const pub = readFileSync(`${key}.pub`, 'utf8').trim().replaceAll(',', ',,');

  const wanted = opts.accel ?? defaultAccel();
  let accel: Accel = wanted === 'auto' ? (kvmPresent() ? 'kvm' : 'tcg') : wanted;

  const start = async (a: Accel): Promise<Running> => {
    const qmpPath = join(workDir, `qmp-${a}.sock`); // one per attempt: never the last QEMU's
    rmSync(overlay, { force: true });
    rmSync(consoleLog, { force: true });
    rmSync(qmpPath, { force: true });
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', resolve(opts.image), overlay]);
    const fwd = [...ports].map(([guest, host]) => `hostfwd=tcp:127.0.0.1:${host}-:${guest}`).join(',');
    const args = [
      '-name', 'streambox-test',
      '-accel', a,
      '-cpu', opts.cpu ?? (a === 'kvm' ? 'host' : 'max'),
      '-m', String(opts.memoryMiB ?? 2048),
      '-smp', String(opts.cpus ?? 2),
      '-drive', `file=${overlay},format=qcow2,if=virtio,discard=unmap`,
      '-nic', `user,model=virtio-net-pci,${fwd}`,
      '-smbios', `type=11,value=io.systemd.credential:ssh.authorized_keys.root=${pub}`,
      '-display', 'none',
      '-serial', `file:${consoleLog}`,
      '-qmp', `unix:${qmpPath},server=on,wait=off`,
    ];
    installSafetyNet();
    const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    const r: Running = { child, qmp: undefined as unknown as Qmp, exit: undefined as unknown as Promise<number | null>, exitCode: undefined, stderr: '' };
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (r.stderr += d));
    r.exit = new Promise((res) => {
      child.on('exit', (code) => {
        live.delete(child);
        r.exitCode = code;
        res(code);
      });
      child.on('error', (err) => {
        live.delete(child);
        r.stderr += `${err.message}\n`;
        r.exitCode = 127;
        res(127);
      });
    });
    try {
      r.qmp = await Promise.race([
        Qmp.connect(qmpPath, 15_000, () => r.exitCode !== undefined),
        r.exit.then(() => {
          throw new Error(`qemu exited at start (${r.exitCode}): ${r.stderr.trim()}`);
        }),
      ]);
    } catch (err) {
      child.kill('SIGKILL');
      await r.exit;
      throw err;
    }
    return r;
  };

  let vm: Running;
  if (accel === 'kvm' && wanted === 'auto') {
    try {
      vm = await start(accel);
    } catch (err) {
      // e.g. "failed to set MSR ... kvm_buf_set_msrs: Assertion failed" on this project's machines
      process.stderr.write(`vm: KVM did not start here (${(err as Error).message.split('\n')[0]}); booting under TCG\n`);
      accel = 'tcg';
      vm = await start(accel);
    }
  } else {
    vm = await start(accel);
  }

  const readConsole = () => (existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '');
  const tail = (n = 60) => readConsole().split('\n').slice(-n).join('\n');

  let panicResets = 0;
  let panicsSeenUpTo = 0;
  /** Throws if QEMU exited or the guest stalled (KVM internal error, a kernel panic not cured by one reset). */
  const checkAlive = async () => {
    if (vm.exitCode !== undefined) throw new Error(`qemu exited (${vm.exitCode}) ${vm.stderr.trim()}\n--- serial console (last lines) ---\n${tail()}`);
    const st = await vm.qmp.execute('query-status').then((s) => (s as { status: string }).status, () => 'unknown');
    // Under TCG a guest kernel has been seen here to panic in its first seconds (in
    // sched_clock_init_late, text_poke interrupted by the APIC timer; once at a reboot) and hang
    // with QEMU still `running`: an emulation flake before any of the image's code runs. The
    // first such panic gets a hard reset (a fresh boot), said loudly; a second one fails.
    const text = readConsole();
    const panic = text.slice(panicsSeenUpTo).search(KERNEL_PANIC);
    if (panic >= 0) {
      if (panicResets >= 1) throw new Error(`the guest kernel panicked under ${accel}, again\n--- serial console (last lines) ---\n${tail()}`);
      panicResets++;
      panicsSeenUpTo = text.length;
      process.stderr.write(`vm: the guest kernel panicked under ${accel} (an emulation flake); resetting it once\n--- serial console (last lines) ---\n${tail(8)}\n`);
      await vm.qmp.execute('system_reset');
    }
    if (st === 'internal-error' || st === 'guest-panicked') {
      throw new Error(`the guest stalled under ${accel} (QMP status ${st}) ${vm.stderr.trim()}\n--- serial console (last lines) ---\n${tail()}`);
    }
  };

  // KVM may also start and then stall (this project's machines): QMP says `internal-error`, or
  // it says `running` while the guest makes no progress (seen stuck after GRUB's "Loading initial
  // ramdisk"). With `auto`, the first boot must reach the guest's systemd within a minute under
  // KVM (it takes seconds where KVM works), or the VM is restarted under TCG.
  if (accel === 'kvm' && wanted === 'auto') {
    const deadline = Date.now() + 60_000;
    let why = '';
    for (;;) {
      if (/systemd\[1\]|Welcome to/.test(readConsole())) break;
      const st = await vm.qmp.execute('query-status').then((x) => (x as { status: string }).status, () => 'unknown');
      if (vm.exitCode !== undefined) why = `qemu exited: ${vm.stderr.trim()}`;
      else if (st === 'internal-error') why = 'QMP status internal-error';
      else if (Date.now() > deadline) why = `no progress in 60 s (QMP status ${st}; console ends: ${JSON.stringify(tail(2).slice(-120))})`;
      if (why) {
        process.stderr.write(`vm: KVM did not work here (${why}); booting under TCG\n`);
        vm.qmp.close();
        if (vm.exitCode === undefined) vm.child.kill('SIGKILL');
        await vm.exit;
        accel = 'tcg';
        vm = await start(accel);
        break;
      }
      await sleep(1000);
    }
  }

  const ssh = (cmd: string[], timeoutMs = 60_000) =>
    run(
      'ssh',
      [
        '-i', key, '-p', String(ports.get(22)),
        '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
        '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR',
        'root@127.0.0.1', '--', ...cmd,
      ],
      timeoutMs,
    );

  const waitFor = async <T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      await checkAlive();
      try {
        const v = await fn();
        if (ok(v)) return v;
        last = v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) {
        const lastText = last instanceof Error ? last.message : JSON.stringify(last);
        throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s (last: ${lastText?.slice(0, 2000)})\n--- serial console (last lines) ---\n${tail()}`);
      }
      await sleep(2000);
    }
  };

  return {
    get accel() {
      return accel;
    },
    consoleLog,
    hostPort(guestPort) {
      const p = ports.get(guestPort);
      if (p === undefined) throw new Error(`guest port ${guestPort} is not forwarded`);
      return p;
    },
    console: readConsole,
    async waitForConsole(re, timeoutMs) {
      return waitFor(`serial console matching ${re}`, async () => re.exec(readConsole()), (m) => m !== null, timeoutMs) as Promise<RegExpMatchArray>;
    },
    waitFor,
    ssh,
    async status() {
      return ((await vm.qmp.execute('query-status')) as { status: string }).status;
    },
    async powerdown(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (vm.exitCode === undefined) {
        if (Date.now() > deadline) {
          throw new Error(`qemu still running ${Math.round(timeoutMs / 1000)} s after the first power button press\n--- serial console (last lines) ---\n${tail()}`);
        }
        await vm.qmp.execute('system_powerdown').catch(() => undefined);
        await Promise.race([vm.exit, sleep(5000)]);
      }
      vm.qmp.close();
      return vm.exitCode;
    },
    async kill() {
      vm.qmp?.close();
      if (vm.exitCode === undefined) {
        vm.child.kill('SIGKILL');
        await vm.exit;
      }
    },
    get exited() {
      return vm.exitCode !== undefined;
    },
  };
}
