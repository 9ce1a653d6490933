/**
 * x11vnc as units/x11vnc@.service starts it, for what runs x11vnc outside the appliance (the VNC
 * clipboard tests, the dev server): through the unit's wrapper (provisioning/kiosk/x11vnc-clipboard,
 * the clipboard relay beside x11vnc) with the unit's ExecStart flags and Environment= lines, read
 * from the unit itself so that they cannot drift, minus the flags naming the unit's paths (callers
 * give theirs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const UNIT = join(ROOT, 'units', 'x11vnc@.service');
const WRAPPER = join(ROOT, 'provisioning', 'kiosk', 'x11vnc-clipboard');
const WITH_PATH_ARG = new Set(['-display', '-rfbport', '-unixsock', '-passwdfile']);

export function x11vncUnitFlags(): { flags: string[]; env: Record<string, string> } {
  const text = readFileSync(UNIT, 'utf8').replace(/\\\n/g, ' ');
  const exec = /^ExecStart=\/usr\/local\/lib\/streambox\/x11vnc-clipboard \/usr\/bin\/x11vnc (.*)$/m.exec(text)![1]!.trim().split(/\s+/);
  const flags: string[] = [];
  for (let i = 0; i < exec.length; i++) {
    if (WITH_PATH_ARG.has(exec[i]!)) i++;
    else flags.push(exec[i]!);
  }
  // HOME=/tmp is the unit's private /tmp: callers give a HOME of their own.
  const env = Object.fromEntries([...text.matchAll(/^Environment=([A-Z0-9_]+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]).filter(([k]) => k !== 'HOME'));
  return { flags, env };
}

/**
 * Starts x11vnc on `display` (":N") as the unit does, listening on the unix socket `sock`. Its relay
 * ends with the X server; the returned process is x11vnc itself (the wrapper execs it).
 */
export function spawnX11vncLikeTheUnit(opts: { display: string; sock: string; passFile: string; home: string }): ChildProcess {
  // The relay needs them; without, it says so in stderr and x11vnc alone repeats the first paste.
  for (const [tool, pkg] of [['xprop', 'x11-utils'], ['xclip', 'xclip'], ['xkbbell', 'x11-xkb-utils']]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (apt-get install ${pkg}; .ci/run installs it): the unit's clipboard relay needs it`);
  }
  const { flags, env } = x11vncUnitFlags();
  const args = ['/usr/bin/x11vnc', '-display', opts.display, '-rfbport', '0', '-unixsock', opts.sock, '-passwdfile', opts.passFile, ...flags];
  return spawn(WRAPPER, args, { stdio: 'ignore', env: { ...process.env, ...env, HOME: opts.home, ROOM_DISPLAY: opts.display.slice(1) } });
}
