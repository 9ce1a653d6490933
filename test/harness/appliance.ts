/**
 * The appliance for end-to-end tests, booted exactly as an operator boots it: `image/appliance up`
 * (cached root built by provisioning/, systemd-nspawn), with its own state directory.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, requireRoot, runCommand, type ExecResult } from './container.js';

const APPLIANCE = join(REPO_ROOT, 'image', 'appliance');
const SBX = join(REPO_ROOT, 'image', 'container', 'sbx');

export interface Appliance {
  baseUrl: string;
  adminPassword: string;
  stateDir: string;
  /** Host path of the container's /etc/streambox/rooms (bound in). */
  roomsDir: string;
  /** Host path of a file inside the running container. */
  hostPath(guestPath: string): Promise<string>;
  exec(cmd: string[]): Promise<ExecResult>;
  /** Logs in and returns the admin cookie. */
  login(): Promise<string>;
  stop(): Promise<void>;
}

export async function bootAppliance(opts: { port: number; name?: string }): Promise<Appliance> {
  requireRoot();
  const stateDir = await mkdtemp(join(tmpdir(), 'sbx-appliance-'));
  const env = { ...process.env, STREAMBOX_APPLIANCE_DIR: stateDir, STREAMBOX_HTTP_PORT: String(opts.port), STREAMBOX_APPLIANCE_NAME: opts.name ?? `sbx-e2e-${process.pid}` };
  const stop = async () => {
    await runCommand(APPLIANCE, ['down'], { env });
    await rm(stateDir, { recursive: true, force: true });
  };
  const up = await runCommand(APPLIANCE, ['up'], { env, echo: true });
  if (up.code !== 0) {
    const console = await readFile(join(stateDir, 'console.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`image/appliance up failed (${up.code}):\n${up.stderr.slice(-4000)}\n--- console ---\n${console.slice(-4000)}`);
  }
  const adminPassword = (await readFile(join(stateDir, 'var-lib', 'initial-admin-password'), 'utf8')).trim();
  const baseUrl = `http://127.0.0.1:${opts.port}`;
  return {
    baseUrl,
    adminPassword,
    stateDir,
    roomsDir: join(stateDir, 'rooms'),
    async hostPath(guestPath) {
      // The container's PID 1 is the nspawn process's child; its /proc/PID/root is the container's /.
      const nspawn = (await readFile(join(stateDir, 'nspawn.pid'), 'utf8')).trim();
      const children = (await readFile(`/proc/${nspawn}/task/${nspawn}/children`, 'utf8')).trim().split(/\s+/);
      return `/proc/${children[0]}/root${guestPath}`;
    },
    exec: (cmd) => runCommand(SBX, ['exec', stateDir, ...cmd]),
    async login() {
      const res = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: adminPassword }) });
      if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
      return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    },
    stop,
  };
}
