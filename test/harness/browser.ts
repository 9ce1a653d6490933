/**
 * A participant's browser on another host: Debian's Chromium started inside a network namespace
 * (test/harness/netns.ts) through a small wrapper script (`ip netns exec NS /usr/bin/chromium
 * "$@"`), driven by Playwright over its pipe (file descriptors survive `ip netns exec`, so the
 * browser's network is the namespace's while Playwright stays on the host).
 *
 * Trust is a real trust decision, as a user makes it: each browser gets its own HOME whose NSS store
 * ($HOME/.pki/nssdb, where Chromium on Linux reads user-added roots) holds exactly the CAs it was
 * told to trust (`certutil -A -t "C,,"`). Never ignoreHTTPSErrors: a browser without the CA must
 * see the certificate error.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { requireTools, runCommand } from './container.js';
import type { Netns } from './netns.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

export interface ParticipantBrowser {
  browser: Browser;
  /** The browser's own HOME (its NSS store is under .pki/nssdb). */
  home: string;
  /** Chromium's PID (the wrapper execs `ip`, which execs Chromium). */
  pid: number | undefined;
  /** Closes the browser, kills its process by PID if it lingers, removes its HOME. */
  close(): Promise<void>;
}

export interface BrowserOptions {
  /** CA certificates (PEM files) this participant has chosen to trust. */
  trust?: Array<{ name: string; pem: string }>;
  /** Extra Chromium flags, e.g. --host-resolver-rules. */
  args?: string[];
}

const livePids = new Set<number>();
let safetyNet = false;
function installSafetyNet(): void {
  if (safetyNet) return;
  safetyNet = true;
  // A crashed test must not leave a browser running inside a namespace (it would keep it alive).
  process.on('exit', () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
}

async function certutil(args: string[]): Promise<void> {
  const r = await runCommand('certutil', args);
  if (r.code !== 0) throw new Error(`certutil ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
}

/** Starts Chromium inside `ns`, trusting exactly `opts.trust`. */
export async function launchInNetns(ns: Netns, opts: BrowserOptions = {}): Promise<ParticipantBrowser> {
  requireTools('Browsers on another host', ['ip', 'certutil', 'chromium'], 'iproute2 libnss3-tools chromium');
  const home = await mkdtemp(join(tmpdir(), `sbx-browser-${ns.name}-`));
  const db = `sql:${join(home, '.pki', 'nssdb')}`;
  await runCommand('mkdir', ['-p', join(home, '.pki', 'nssdb')]);
  await certutil(['-d', db, '-N', '--empty-password']);
  for (const ca of opts.trust ?? []) await certutil(['-d', db, '-A', '-t', 'C,,', '-n', ca.name, '-i', ca.pem]);
  const wrapper = join(home, 'chromium-in-netns');
  const pidFile = join(home, 'chromium.pid');
  // exec keeps the PID: $$ is the PID of `ip`, then of Chromium itself.
  await writeFile(wrapper, `#!/bin/sh\nexport HOME='${home}'\necho $$ > '${pidFile}'\nexec ip netns exec '${ns.name}' ${CHROMIUM} "$@"\n`);
  await chmod(wrapper, 0o755);
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: wrapper, headless: true, args: [...CHROMIUM_ARGS, ...(opts.args ?? [])], env: { ...process.env, HOME: home } });
  } catch (e) {
    await rm(home, { recursive: true, force: true });
    throw e;
  }
  const pid = Number((await readFile(pidFile, 'utf8')).trim()) || undefined;
  installSafetyNet();
  if (pid !== undefined) livePids.add(pid);
  return {
    browser,
    home,
    pid,
    async close() {
      await browser.close().catch(() => undefined);
      if (pid !== undefined) {
        livePids.delete(pid);
        try {
          process.kill(pid, 0);
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}
