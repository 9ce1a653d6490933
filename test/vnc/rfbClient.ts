/**
 * Test helpers for the VNC gateway: a minimal RFB client over its WebSocket (noVNC's first steps),
 * and the client messages the gateway must drop, built byte by byte (RFC 6143 7.5).
 */
import { expect } from 'vitest';
import { WebSocket } from 'ws';

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const setPixelFormat = (bpp: number) => Buffer.from([0, 0, 0, 0, bpp, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
export function setEncodings(...encs: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * encs.length);
  b[0] = 2;
  b.writeUInt16BE(encs.length, 2);
  encs.forEach((e, i) => b.writeInt32BE(e | 0, 4 + 4 * i));
  return b;
}
export function fbur(w: number, h: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 3; // non-incremental
  b.writeUInt16BE(w, 6);
  b.writeUInt16BE(h, 8);
  return b;
}
export function cutText(text: Buffer, length = text.length): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 6;
  b.writeUInt32BE(length, 4);
  return Buffer.concat([b, text]);
}
export const EXTENDED_CLIPBOARD = 0xc0a1e5ce;

/** A minimal RFB client over the gateway's WebSocket, like noVNC's first steps. */
export class RfbOverWs {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | null = null;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, data]);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async open(url: string): Promise<RfbOverWs> {
    const ws = new WebSocket(url, { headers: { origin: `http://${new URL(url).host}` } }); // same origin, as a browser's
    const client = new RfbOverWs(ws); // listen before 'open': the server speaks first
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return client;
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.closed) throw new Error(`closed ${this.closed.code} ${this.closed.reason}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Version, security None, ClientInit; returns the framebuffer size from ServerInit. */
  async handshake(): Promise<{ width: number; height: number }> {
    expect((await this.read(12)).toString()).toBe('RFB 003.008\n');
    this.ws.send(Buffer.from('RFB 003.008\n'));
    expect([...(await this.read(2))]).toEqual([1, 1]); // one security type: None
    this.ws.send(Buffer.from([1]));
    expect((await this.read(4)).readUInt32BE(0)).toBe(0);
    this.ws.send(Buffer.from([1])); // ClientInit, shared
    const init = await this.read(24);
    await this.read(init.readUInt32BE(20)); // desktop name
    return { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
  }

  /** Bytes received and not read (after the handshake: what the gateway let through). */
  get unread(): number {
    return this.buffer.length;
  }

  async waitClosed(): Promise<{ code: number; reason: string }> {
    await waitFor('websocket close', () => this.closed !== null);
    return this.closed!;
  }
}

