/**
 * The bits of the RFB (VNC) protocol streambox speaks itself: the opening handshake with a room's
 * x11vnc (version, VNC authentication) and the two input messages. The VNC gateway uses the
 * handshake so that browsers never learn the room's VNC password; tests use the messages.
 * RFC 6143 is the reference.
 */
import { createCipheriv } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export const RFB_VERSION = 'RFB 003.008\n';
export const SECURITY_NONE = 1;
export const SECURITY_VNC_AUTH = 2;

export class RfbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RfbError';
  }
}

/** Reads exact byte counts from a socket that delivers data in arbitrary chunks. */
export class SocketReader {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended: Error | null = null;
  private readonly onData = (chunk: Buffer) => {
    // Only the handshake is read this way: a few dozen bytes. More is not a VNC server we know.
    if (this.buffer.length + chunk.length > 64 * 1024) return void this.socket.destroy(new RfbError('the VNC server sent too much during the handshake'));
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended = new RfbError('the VNC server closed the connection');
    this.wake();
  };
  private readonly onError = (err: Error) => {
    this.ended = err;
    this.wake();
  };

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.ended) throw this.ended;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Stops reading and hands back whatever arrived beyond what was read. */
  detach(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/**
 * VNC authentication's response: the challenge encrypted with DES, keyed by the password's first
 * 8 bytes with each byte's bits mirrored (a quirk of the original VNC). OpenSSL 3 disables plain
 * DES; two-key triple DES with both keys equal is the same cipher.
 */
export function vncAuthResponse(password: string, challenge: Buffer): Buffer {
  const key = Buffer.alloc(8);
  Buffer.from(password, 'latin1').copy(key, 0, 0, 8);
  for (let i = 0; i < 8; i++) {
    let b = key[i]!;
    let r = 0;
    for (let bit = 0; bit < 8; bit++) {
      r = (r << 1) | (b & 1);
      b >>= 1;
    }
    key[i] = r;
  }
  const cipher = createCipheriv('des-ede-ecb', Buffer.concat([key, key]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(challenge), cipher.final()]);
}

async function readReason(reader: SocketReader): Promise<string> {
  const length = (await reader.read(4)).readUInt32BE(0);
  return (await reader.read(Math.min(length, 4096))).toString('utf8');
}

/** What x11vnc's ServerInit says; the gateway hands the browser its own copy (see serverInitMessage). */
export interface ServerInit {
  width: number;
  height: number;
  /** The 16-byte PIXEL_FORMAT, passed on as is (no pixels ever flow, but noVNC reads it). */
  pixelFormat: Buffer;
  name: string;
}

/** The longest desktop name we read from a server; x11vnc's is the display name. */
const MAX_DESKTOP_NAME = 256;

/**
 * Connects to a VNC server on a unix socket (or host:port) and completes version and security
 * negotiation. Resolves with the socket positioned just before ClientInit, and any bytes the
 * server already sent past the handshake (none, for a conforming server). With `init`, it also
 * sends ClientInit (shared) and reads ServerInit, so the socket is left in the normal phase.
 */
export async function openAuthenticated(target: { path: string } | { host: string; port: number }, password: string, timeoutMs?: number): Promise<{ socket: Socket; rest: Buffer }>;
export async function openAuthenticated(target: { path: string } | { host: string; port: number }, password: string, timeoutMs: number, init: true): Promise<{ socket: Socket; rest: Buffer; serverInit: ServerInit }>;
export async function openAuthenticated(target: { path: string } | { host: string; port: number }, password: string, timeoutMs = 5000, init = false): Promise<{ socket: Socket; rest: Buffer; serverInit?: ServerInit }> {
  const socket = 'path' in target ? connect(target.path) : connect(target.port, target.host);
  socket.setNoDelay(true);
  const reader = new SocketReader(socket);
  const timer = setTimeout(() => socket.destroy(new RfbError(`VNC handshake did not finish within ${timeoutMs} ms`)), timeoutMs);
  try {
    const version = (await reader.read(12)).toString('latin1');
    if (!/^RFB 003\.00[3-8]\n$/.test(version)) throw new RfbError(`not a VNC server (it said ${JSON.stringify(version)})`);
    socket.write(RFB_VERSION);
    const count = (await reader.read(1))[0]!;
    if (count === 0) throw new RfbError(`the VNC server refused: ${await readReason(reader)}`);
    const types = [...(await reader.read(count))];
    if (types.includes(SECURITY_VNC_AUTH)) {
      socket.write(Buffer.from([SECURITY_VNC_AUTH]));
      const challenge = await reader.read(16);
      socket.write(vncAuthResponse(password, challenge));
    } else if (types.includes(SECURITY_NONE)) {
      socket.write(Buffer.from([SECURITY_NONE]));
    } else {
      throw new RfbError(`no supported security type (offered ${types.join(', ')})`);
    }
    const result = (await reader.read(4)).readUInt32BE(0);
    if (result !== 0) throw new RfbError(`VNC authentication failed: ${await readReason(reader).catch(() => 'no reason given')}`);
    let serverInit: ServerInit | undefined;
    if (init) {
      socket.write(Buffer.from([1])); // ClientInit: shared
      const head = Buffer.from(await reader.read(24));
      const nameLength = head.readUInt32BE(20);
      if (nameLength > MAX_DESKTOP_NAME) throw new RfbError(`ServerInit: a ${nameLength}-byte desktop name`);
      const name = (await reader.read(nameLength)).toString('utf8');
      serverInit = { width: head.readUInt16BE(0), height: head.readUInt16BE(2), pixelFormat: head.subarray(4, 20), name };
    }
    // The socket keeps no listener of ours from here: make sure an error before the session
    // attaches its own is not an uncaught exception (review #19a).
    const rest = reader.detach();
    socket.on('error', () => {});
    return { socket, rest, serverInit };
  } catch (err) {
    reader.detach();
    socket.on('error', () => {});
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** ServerInit for the browser: x11vnc's size and pixel format under a name of our choosing. */
export function serverInitMessage(init: ServerInit, name: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const msg = Buffer.alloc(24 + nameBytes.length);
  msg.writeUInt16BE(init.width, 0);
  msg.writeUInt16BE(init.height, 2);
  init.pixelFormat.copy(msg, 4, 0, 16);
  msg.writeUInt32BE(nameBytes.length, 20);
  nameBytes.copy(msg, 24);
  return msg;
}

/** Client-to-server messages. */
export function pointerEvent(x: number, y: number, buttonMask: number): Buffer {
  const msg = Buffer.alloc(6);
  msg.writeUInt8(5, 0);
  msg.writeUInt8(buttonMask, 1);
  msg.writeUInt16BE(x, 2);
  msg.writeUInt16BE(y, 4);
  return msg;
}

export function keyEvent(keysym: number, down: boolean): Buffer {
  const msg = Buffer.alloc(8);
  msg.writeUInt8(4, 0);
  msg.writeUInt8(down ? 1 : 0, 1);
  msg.writeUInt32BE(keysym, 4);
  return msg;
}
