/**
 * x11vnc as units/x11vnc@.service starts it, for what runs x11vnc outside the appliance (the VNC
 * clipboard test, the dev server): the unit's ExecStart flags and Environment= lines, read from the
 * unit itself so that they cannot drift, minus the flags naming the unit's paths (callers give theirs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const UNIT = join(import.meta.dirname, '..', '..', 'units', 'x11vnc@.service');
const WITH_PATH_ARG = new Set(['-display', '-rfbport', '-unixsock', '-passwdfile']);

export function x11vncUnitFlags(): { flags: string[]; env: Record<string, string> } {
  const text = readFileSync(UNIT, 'utf8').replace(/\\\n/g, ' ');
  const exec = /^ExecStart=\/usr\/bin\/x11vnc (.*)$/m.exec(text)![1]!.trim().split(/\s+/);
  const flags: string[] = [];
  for (let i = 0; i < exec.length; i++) {
    if (WITH_PATH_ARG.has(exec[i]!)) i++;
    else flags.push(exec[i]!);
  }
  // HOME=/tmp is the unit's private /tmp: callers give a HOME of their own.
  const env = Object.fromEntries([...text.matchAll(/^Environment=([A-Z0-9_]+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]).filter(([k]) => k !== 'HOME'));
  return { flags, env };
}
