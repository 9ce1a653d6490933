/**
 * The X side of the clipboard tests (test/vnc/clipboard*.test.ts): read and write a display's
 * CLIPBOARD with xclip (Debian's xclip, installed by .ci/run), and read ServerCutText off a session.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { RfbOverWs } from './rfbClient.js';

const execFileP = promisify(execFile);

/** The display's CLIPBOARD as Chromium reads it: UTF8_STRING, decoded as UTF-8. */
export async function clipboardOf(display: string): Promise<string> {
  try {
    const { stdout } = await execFileP('xclip', ['-selection', 'clipboard', '-o', '-t', 'UTF8_STRING'], { env: { ...process.env, DISPLAY: display }, timeout: 3000, encoding: 'utf8' });
    return stdout;
  } catch {
    return ''; // nobody owns it
  }
}

/** Copies like an X application: xclip owns CLIPBOARD until someone else takes it. */
export function copyInX(display: string, text: string): ChildProcess {
  const p = spawn('xclip', ['-selection', 'clipboard', '-i'], { env: { ...process.env, DISPLAY: display }, stdio: ['pipe', 'ignore', 'ignore'] });
  p.stdin!.end(text);
  return p;
}

/** Reads ServerCutText messages off a session (nothing else may arrive after ServerInit). */
export async function nextCut(rfb: RfbOverWs): Promise<string> {
  const head = await rfb.read(8);
  expect(head[0], 'message type: ServerCutText').toBe(3);
  return (await rfb.read(head.readUInt32BE(4))).toString('latin1');
}
