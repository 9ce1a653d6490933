/**
 * Smoke test of the container harness: a minimal Debian 13 root boots a real systemd under
 * systemd-nspawn, its system bus answers from the host, and two containers share one cached root.
 * Needs root (fails loudly otherwise). The first run builds the root (~40 s), later runs reuse it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootContainer, buildRoot, requireRoot, type Container } from '../harness/container.js';

const execFileP = promisify(execFile);

const HELLO_UNIT = `[Unit]
Description=sbx smoke test unit

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'echo "hello from $(hostname)" >/run/hello'
`;

/** Polls exec(cmd) until its trimmed stdout equals want; returns the last output. */
async function waitForOutput(c: Container, cmd: string[], want: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let out = '';
  while (Date.now() < deadline) {
    out = (await c.exec(cmd)).stdout.trim();
    if (out === want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return out;
}

describe('systemd-nspawn container harness', () => {
  let work: string;
  let root: string;
  const containers: Container[] = [];

  beforeAll(async () => {
    requireRoot();
    work = await mkdtemp(join(tmpdir(), 'sbx-smoke-'));
    await mkdir(join(work, 'units'));
    await writeFile(join(work, 'units', 'hello.service'), HELLO_UNIT);
    root = await buildRoot({ name: 'trixie-minimal' });
  }, 600_000);

  afterAll(async () => {
    // Stop everything even when a test failed; report every failure, not just the first.
    const results = await Promise.allSettled(containers.map((c) => c.stop()));
    if (work) await rm(work, { recursive: true, force: true });
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason), 'stopping containers failed');
  }, 120_000);

  async function boot(name: string): Promise<Container> {
    const c = await bootContainer({
      root,
      name,
      stateDir: join(work, name),
      volatile: true,
      binds: [{ host: join(work, 'units'), guest: '/usr/local/lib/systemd/system', readOnly: true }],
    });
    containers.push(c);
    return c;
  }

  it('boots to running', async () => {
    const c = await boot('sbx-smoke-a');
    expect(await c.waitRunning(60_000)).toBe('running');
    expect((await c.exec(['hostname'])).stdout.trim()).toBe('sbx-smoke-a');
  }, 120_000);

  it('starts a unit over the system bus from the host', async () => {
    const c = containers[0]!;
    const { stdout } = await execFileP('busctl', [
      `--address=${c.busAddress}`,
      'call',
      'org.freedesktop.systemd1',
      '/org/freedesktop/systemd1',
      'org.freedesktop.systemd1.Manager',
      'StartUnit',
      'ss',
      'hello.service',
      'replace',
    ]);
    expect(stdout).toMatch(/^o "\/org\/freedesktop\/systemd1\/job\/\d+"/);
    // StartUnit returns when the job is queued, not done: poll for the result.
    expect(await waitForOutput(c, ['systemctl', 'is-active', 'hello.service'], 'active')).toBe('active');
    expect((await c.exec(['cat', '/run/hello'])).stdout).toBe('hello from sbx-smoke-a\n');
  }, 60_000);

  it('runs a second container on the same root at once, isolated and leaving the root pristine', async () => {
    const [a] = containers;
    const b = await boot('sbx-smoke-b');
    expect(await b.waitRunning(60_000)).toBe('running');
    expect(await a!.waitRunning(10_000)).toBe('running');

    // Separate machines: own hostname, own machine-id (the root's is empty), own unit state.
    const ids = await Promise.all([a!, b].map(async (c) => (await c.exec(['cat', '/etc/machine-id'])).stdout.trim()));
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[0]).not.toBe(ids[1]);
    expect((await b.exec(['systemctl', 'is-active', 'hello.service'])).stdout.trim()).toBe('inactive');

    // Writes land in each container's tmpfs overlay, not in the other one or the cached root.
    expect((await b.exec(['sh', '-c', 'echo b >/etc/sbx-marker'])).code).toBe(0);
    expect((await a!.exec(['test', '-e', '/etc/sbx-marker'])).code).toBe(1);
    expect(existsSync(join(root, 'etc', 'sbx-marker'))).toBe(false);
  }, 120_000);

  it('stops a container and cleans up after it', async () => {
    const b = containers[1]!;
    await b.stop();
    expect(isAlive(b.pid)).toBe(false);
    expect(existsSync(join(b.stateDir, 'nspawn.pid'))).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/systemd/sbx-${b.name}`)).toBe(false);
    await b.stop(); // idempotent
  }, 60_000);
});

/** A zombie counts as gone: this host's PID 1 reaps orphans only every few seconds. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
