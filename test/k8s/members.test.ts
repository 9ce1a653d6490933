/**
 * The room's containers run the units' own commands (server/runtime/kubernetes/members.ts,
 * recorderSpec.ts): the program and its arguments of each unit's ExecStart= (units/), word for
 * word, so that a change to a unit's command not made for Kubernetes too fails here. Also what
 * the shell makes of the container's command: the words it runs are those words.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { MEMBERS, SECRET_DIR, VNC_PORT, memberScript } from '../../server/runtime/kubernetes/members.js';
import { RECORDER_ARGV } from '../../server/runtime/kubernetes/recorderSpec.js';
import { MEMBER_TEMPLATES } from '../../server/runtime/systemd/units.js';
import { MEMBER_ROLES } from '../../server/runtime/types.js';

const UNITS = join(import.meta.dirname, '..', '..', 'units');

/** A unit's ExecStart= as words: continuation lines joined, "quoted words" kept whole. */
function execStart(unit: string): string[] {
  const text = readFileSync(join(UNITS, unit), 'utf8').replace(/\\\n\s*/g, ' ');
  const line = /^ExecStart=(.*)$/m.exec(text)?.[1];
  if (!line) throw new Error(`${unit} has no ExecStart=`);
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** systemd's specifiers in a container's terms: %d the credentials (the Secret's mount), %i the room. */
const containerTerms = (words: string[]) => words.map((w) => w.replaceAll('%d/', `${SECRET_DIR}/`).replaceAll('%i', '${ROOM_ID}'));

describe("the containers run the units' commands", () => {
  for (const role of MEMBER_ROLES) {
    it(`${role}: ${MEMBER_TEMPLATES[role]}@.service`, () => {
      let expected = containerTerms(execStart(`${MEMBER_TEMPLATES[role]}@.service`));
      if (role === 'input') {
        // The one difference: the admin service is in another Pod, so x11vnc listens on TCP, not on
        // a unix socket beside it (-rfbport 0 -unixsock PATH).
        const at = expected.indexOf('-rfbport');
        expect(expected.slice(at, at + 3)).toEqual(['-rfbport', '0', '-unixsock']);
        expected = [...expected.slice(0, at), '-rfbport', String(VNC_PORT), ...expected.slice(at + 4)];
      }
      expect(MEMBERS[role].argv).toEqual(expected);
    });
  }

  it('recorder: recorder@.service', () => {
    expect(RECORDER_ARGV).toEqual(containerTerms(execStart('recorder@.service')));
  });

  it('the shell runs exactly those words, with the variables expanded and nothing else', () => {
    const env = { ROOM_DISPLAY: '10', ROOM_WIDTH: '1280', ROOM_HEIGHT: '720', ROOM_START_URL: 'https://example.org/?q="x"&v=$HOME `id`', ROOM_PROFILE_DIR: '/tmp/chromium', PATH: process.env.PATH ?? '' };
    const script = memberScript({ ...MEMBERS.browser, prelude: [] }).replace(/^exec /, 'printf "%s\\n" ');
    const words = execFileSync('/bin/sh', ['-c', script], { env, encoding: 'utf8' }).trimEnd().split('\n');
    expect(words[0]).toBe('/usr/lib/chromium/chromium');
    expect(words).toContain('--display=:10');
    expect(words).toContain('--window-size=1280,720');
    expect(words.at(-1)).toBe(env.ROOM_START_URL);
    expect(words).toHaveLength(MEMBERS.browser.argv.length);
  });
});
