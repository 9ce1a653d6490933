/**
 * The VM image, built and booted for real: `packer validate`, then `packer build` of the offline
 * `local` source (Debian 12's packer 1.6.6 here, under software emulation), then a boot of the
 * qcow2 it produced, as an operator would boot it: QEMU, its own bootloader, user-mode
 * networking with forwarded ports. The boot must reach `running`, serve the dashboard, show the
 * admin password on the serial console, start a room, have written its first boot's machine-id
 * to disk, and power off on the ACPI button. Streaming quality is not judged under emulation.
 *
 * Long: the first run builds the base disk (debootstrap, ~3 min), every run a Packer build
 * (~8 min under TCG) and a boot (~3-4 min under TCG). It does not reboot the VM (4.3 min under
 * TCG, at the edge of CI's time budget): that rooms run again after a reboot is tested on the
 * same units and provisioning in test/appliance/faults.test.ts; here the VM shows what a reboot
 * depends on that a container does not have: its machine-id committed to its own disk, and the
 * admin service enabled to start at boot. The test build writes the qcow2 uncompressed
 * (PKR_VAR_compress=false: 80 s less; the released image is compressed). Artifacts of a failure
 * land in test-artifacts/vm/ (Packer's logs, the build machine's and the test VM's serial consoles).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO_ROOT, cacheDir } from '../harness/container.js';
import { bootVm, requireVmTools, type Vm } from '../harness/vm.js';
import { httpsGet } from '../harness/appliance.js';

const BUILD_SH = join(REPO_ROOT, 'image', 'vm', 'build.sh');
const VM_DIR = join(cacheDir(), 'vm');
const OUTPUT = join(VM_DIR, 'output', 'local');
const IMAGE = join(OUTPUT, 'streambox.qcow2');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'vm');

// Time limits (TCG on a shared 2-core machine; KVM is many times faster).
const MIN = 60_000;
const BUILD_LIMIT = 60 * MIN; // includes a first base disk build
const BOOT_LIMIT = 10 * MIN; // power on to `running`
const ROOM_LIMIT = 8 * MIN; // room@ID.target active (Chromium under emulation is slow)

/** Runs a command, echoing its output live; resolves with its exit code and output. */
function runLive(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (d: string) => {
      output += d;
      process.stderr.write(d);
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 128, output }));
  });
}

function keepArtifacts(files: string[]): string[] {
  mkdirSync(ARTIFACTS, { recursive: true });
  const kept: string[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const dest = join(ARTIFACTS, basename(f));
    copyFileSync(f, dest);
    kept.push(dest);
  }
  return kept;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** The value of KEY in a KEY=VALUE file. */
function envValue(file: string, key: string): string | undefined {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${key}=`));
  return line?.slice(key.length + 1);
}

/** finalize.sh prints the build machine's id (before emptying it) into Packer's output. */
function buildMachineIdFromLog(): string {
  const log = join(VM_DIR, 'logs', 'packer-build-local.log');
  if (!existsSync(log)) return '';
  return /build machine-id: ([0-9a-f]{32})/.exec(readFileSync(log, 'utf8'))?.[1] ?? '';
}

interface RoomView {
  id: string;
  status: { state: string; desiredState: string; members: Record<string, { unit?: string; activeState?: string; state?: string }> };
}

describe('the VM image', () => {
  let buildMachineId = '';

  beforeAll(() => {
    requireVmTools();
  });

  it('passes packer validate (both sources)', async () => {
    const r = await runLive(BUILD_SH, ['validate']);
    expect(r.code, r.output.slice(-3000)).toBe(0);
  }, 10 * MIN);

  it('builds the local source with packer build: a qcow2, its checksum and a manifest', async () => {
    const r = await runLive(BUILD_SH, ['build', 'local'], { ...process.env, PKR_VAR_compress: 'false' });
    const logs = [
      join(VM_DIR, 'logs', 'packer-build-local.log'),
      join(VM_DIR, 'logs', 'packer-debug-local.log'),
      join(VM_DIR, 'output', 'local-console.log'),
      join(REPO_ROOT, '.cache', 'roots', 'vm-base.build.log'),
    ];
    if (r.code !== 0) {
      const kept = keepArtifacts(logs);
      throw new Error(`image/vm/build.sh build local failed (exit ${r.code}); logs kept: ${kept.join(', ')}\n${r.output.slice(-4000)}`);
    }

    // The checksum file names the image, and the image has that checksum.
    const sums = readFileSync(join(OUTPUT, 'SHA256SUMS'), 'utf8');
    const line = sums.split('\n').find((l) => /streambox\.qcow2$/.test(l.trim()));
    expect(line, sums).toBeDefined();
    expect(line!.split(/\s+/)[0]).toBe(await sha256File(IMAGE));

    const manifest = JSON.parse(readFileSync(join(OUTPUT, 'manifest.json'), 'utf8')) as {
      builds: Array<{ name: string; builder_type: string; files: Array<{ name: string }>; custom_data: Record<string, string> }>;
    };
    const build = manifest.builds.at(-1)!;
    expect(build.builder_type).toBe('qemu');
    expect(build.custom_data.source).toBe('local');
    expect(build.files.map((f) => f.name)).toContain('streambox.qcow2');

    buildMachineId = buildMachineIdFromLog();
    expect(buildMachineId, 'finalize.sh did not print the build machine-id').toMatch(/^[0-9a-f]{32}$/);
  }, BUILD_LIMIT);

  describe('booted under QEMU', () => {
    let vm: Vm | undefined;
    let workDir = '';
    let base = '';
    let httpsBase = '';
    /** The VM's own CA (streambox-tls made it at first boot); set once the guest is up. */
    let ca = '';
    let cookie = '';
    let roomId = '';

    beforeAll(async () => {
      if (!existsSync(IMAGE)) throw new Error(`no image at ${IMAGE}: the build step failed`);
      workDir = mkdtempSync(join(tmpdir(), 'sbx-vm-'));
      vm = await bootVm({ image: IMAGE, workDir, forwards: [80, 443, 22] });
      base = `http://127.0.0.1:${vm.hostPort(80)}`;
      httpsBase = `https://127.0.0.1:${vm.hostPort(443)}`;
      process.stderr.write(`vm: booting ${IMAGE} under ${vm.accel}; console: ${vm.consoleLog}\n`);
    }, 3 * MIN);

    afterAll(async () => {
      if (vm && !vm.exited) {
        // A test failed before the power-off step: keep the console, then stop QEMU.
        keepArtifacts([vm.consoleLog]);
        await vm.kill();
      }
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    }, MIN);

    /** Runs FN; on failure keeps the serial console in test-artifacts and names it in the error. */
    const withConsole = async (fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        const kept = vm ? keepArtifacts([vm.consoleLog]) : [];
        if (err instanceof Error) err.message += `\n(serial console kept: ${kept.join(', ') || 'none'})`;
        throw err;
      }
    };

    // Plain HTTP until the CA is known (health is served there); then HTTPS, trusting the VM's CA:
    // QEMU's forwarded connections come from 10.0.2.2, not loopback, so the admin API is HTTPS only.
    const api = async (path: string, init: RequestInit = {}): Promise<Response> => {
      const headers = { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...((init.headers as Record<string, string>) ?? {}) };
      if (!ca) return fetch(`${base}${path}`, { ...init, headers, signal: AbortSignal.timeout(20_000) });
      // CreateRoom waits for systemd's start job: seconds under emulation, as plain HTTP allowed before.
      const r = await httpsGet(`${httpsBase}${path}`, { ca, method: init.method ?? 'GET', headers, timeoutMs: 60_000, ...(typeof init.body === 'string' ? { body: init.body } : {}) });
      const h = new Headers();
      for (const [k, v] of Object.entries(r.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
      return new Response(r.status === 204 ? null : r.body, { status: r.status, headers: h });
    };

    /** Waits for the boot to finish; fails with the failed units when it ends degraded. */
    const waitBooted = async () => {
      await vm!.waitFor('SSH into the guest', () => vm!.ssh(['true'], 30_000), (r) => r.code === 0, BOOT_LIMIT);
      const r = await vm!.waitFor(
        'systemctl is-system-running --wait',
        () => vm!.ssh(['timeout', '60', 'systemctl', 'is-system-running', '--wait'], 90_000),
        (res) => ['running', 'degraded', 'maintenance', 'stopping'].includes(res.stdout.trim()),
        BOOT_LIMIT,
      );
      const state = r.stdout.trim();
      if (state !== 'running') {
        const failed = await vm!.ssh(['systemctl', '--failed', '--no-legend', '--plain']);
        const errors = await vm!.ssh(['journalctl', '-b', '-p', 'err', '--no-pager', '-n', '80']);
        throw new Error(`the system is ${state}, not running.\nfailed units:\n${failed.stdout}\nerrors in the journal:\n${errors.stdout}`);
      }
    };

    it('boots to systemd `running` within the time limit', async () => {
      await withConsole(waitBooted);
    }, BOOT_LIMIT * 2 + MIN);

    it('answers GET /api/health through the forwarded port', async () => {
      await withConsole(async () => {
        const res = await vm!.waitFor('GET /api/health', () => api('/api/health'), (r) => r.status === 200, 3 * MIN);
        const body = (await res.json()) as { ok: boolean };
        expect(body.ok).toBe(true);
      });
    }, 4 * MIN);

    it('shows the generated admin password on the serial console, and it logs in', async () => {
      await withConsole(async () => {
        const m = await vm!.waitForConsole(/Admin password:\s+([a-z2-9]{5}(?:-[a-z2-9]{5}){4})\b/, 4 * MIN);
        expect(vm!.console()).toMatch(/Dashboard:\s+https:\/\/10\.0\.2\.15\//); // the guest's address on QEMU's user network
        expect(vm!.console()).toMatch(/CA SHA-256:\s+[0-9A-F:]{95}/);
        ca = (await vm!.ssh(['cat', '/var/lib/streambox/tls/ca/ca.crt'])).stdout;
        expect(ca).toContain('BEGIN CERTIFICATE');
        const res = await api('/api/auth/login', { method: 'POST', body: JSON.stringify({ password: m[1] }) });
        expect(res.status, await res.clone().text()).toBe(200);
        cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
        // The login prompt tells where the password is, without showing it.
        const issue = await vm!.ssh(['cat', '/etc/issue.d/streambox.issue']);
        expect(issue.stdout).toContain('initial-admin-password');
        expect(issue.stdout).not.toContain(m[1]!);
      });
    }, 5 * MIN);

    it('has its own machine-id (not the build machine\'s, not the base disk\'s)', async () => {
      await withConsole(async () => {
        const id = (await vm!.ssh(['cat', '/etc/machine-id'])).stdout.trim();
        expect(id).toMatch(/^[0-9a-f]{32}$/);
        // (from the build step, or the last build's log when only the boot tests run: -t booted)
        const buildId = buildMachineId || buildMachineIdFromLog();
        expect(buildId, 'the build machine-id is not in the build log').toMatch(/^[0-9a-f]{32}$/);
        expect(id).not.toBe(buildId);
        expect(id).not.toBe(envValue(join(VM_DIR, 'base', 'base.env'), 'machine_id'));
        // Nothing of the build's login is left: no authorized key but the one this boot was given,
        // SSH host keys made on this machine, and no journal but this machine's (the build's
        // recorded the admin password the build generated).
        const keys = (await vm!.ssh(['cat', '/root/.ssh/authorized_keys'])).stdout;
        expect(keys).toContain('streambox-test');
        expect(keys).not.toContain('streambox-build');
        const hostKey = (await vm!.ssh(['cat', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout.trim().split(/\s+/)[1];
        const baseHostKey = readFileSync(join(cacheDir(), 'roots', 'vm-base', 'etc', 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8').split(/\s+/)[1];
        expect(hostKey).toMatch(/^AAAA/);
        expect(hostKey).not.toBe(baseHostKey);
        const journals = (await vm!.ssh(['ls', '/var/log/journal'])).stdout.trim().split(/\s+/);
        expect(journals).toEqual([id]);
      });
    }, 2 * MIN);

    it('creates a room whose room@ID.target becomes active', async () => {
      await withConsole(async () => {
        const res = await api('/api/rooms', {
          method: 'POST',
          body: JSON.stringify({ name: 'VM test', startUrl: 'http://127.0.0.1/', width: 640, height: 360, fps: 5 }),
        });
        expect(res.status, await res.clone().text()).toBe(201);
        roomId = ((await res.json()) as RoomView).id;
        const room = await vm!.waitFor(
          `room ${roomId} live`,
          async () => (await api(`/api/rooms/${roomId}`)).json() as Promise<RoomView>,
          (r) => r.status?.state === 'live' && Object.values(r.status.members).every((m) => m.activeState === 'active'),
          ROOM_LIMIT,
        );
        expect(Object.keys(room.status.members).length).toBeGreaterThan(0);
        const target = await vm!.ssh(['systemctl', 'is-active', `room@${roomId}.target`]);
        expect(target.stdout.trim()).toBe('active');
      });
    }, ROOM_LIMIT + MIN);

    it('enforces the room\'s and the admin service\'s resource limits (cgroup v2: what nspawn here only accepts)', async () => {
      await withConsole(async () => {
        const units = [`browser@${roomId}.service`, `ffmpeg@${roomId}.service`, `xvfb@${roomId}.service`, 'streambox-admin.service'];
        const script = units.map((u) => `cg=$(systemctl show -p ControlGroup --value ${u}); echo "${u} $(cat /sys/fs/cgroup$cg/memory.max) $(cat /sys/fs/cgroup$cg/pids.max) $(cat /sys/fs/cgroup$cg/cpu.max)"`).join('; ');
        // ssh hands the guest's shell one line: the script goes as one single-quoted word.
        const out = (await vm!.ssh(['sh', '-c', `'${script}'`])).stdout.trim().split('\n');
        const limits = Object.fromEntries(out.map((l) => { const [u, ...v] = l.split(' '); return [u!, v.join(' ')]; }));
        // What the units set (units/*.service), as the kernel holds it for each unit's cgroup.
        expect(limits[units[0]!]).toBe(`${1536 * 2 ** 20} 512 150000 100000`);
        expect(limits[units[1]!]).toBe(`${2 ** 30} 64 200000 100000`);
        expect(limits[units[2]!]).toBe(`${512 * 2 ** 20} 32 100000 100000`);
        expect(limits[units[3]!]?.split(' ').slice(0, 2).join(' '), 'the admin: memory.max, pids.max').toBe(`${2 ** 30} 256`);
      });
    }, 2 * MIN);

    it('keeps what a reboot needs: the machine-id on its own disk, the admin service enabled, the room wanted running', async () => {
      await withConsole(async () => {
        // An empty /etc/machine-id at first boot: systemd makes one, and writes it to the disk at
        // once when the root is writable, else later (systemd-machine-id-commit.service); until
        // then it is a mount over the file, gone at the next boot (a new machine every boot).
        const overmount = await vm!.ssh(['findmnt', '-n', '/etc/machine-id']);
        expect(overmount.stdout.trim(), '/etc/machine-id is still a transient mount').toBe('');
        expect((await vm!.ssh(['cat', '/etc/machine-id'])).stdout.trim()).toMatch(/^[0-9a-f]{32}$/);
        expect((await vm!.ssh(['systemctl', 'is-enabled', 'streambox-admin.service'])).stdout.trim()).toBe('enabled');
        const room = (await (await api(`/api/rooms/${roomId}`)).json()) as RoomView;
        expect(room.status.desiredState, 'the room the admin service starts again at boot').toBe('running');
      });
    }, 2 * MIN);

    it('powers off cleanly on the ACPI power button (system_powerdown)', async () => {
      await withConsole(async () => {
        const code = await vm!.powerdown(3 * MIN);
        expect(code).toBe(0);
        expect(vm!.console()).toMatch(/reboot: Power down|Powering off/);
      });
    }, 4 * MIN);
  });
});
