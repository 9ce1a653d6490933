/**
 * The session's clipboard heard without a driver (issue 14, clipboard 'everyone'): while a room is
 * watched, the admin service keeps an RFB connection of its own to the room's x11vnc (shared, past
 * ServerInit, like the gateway's) that sends nothing after ClientInit, never any input, and only
 * reads x11vnc's ServerCutText (serverCut.ts, under the size limit). Every text the session copies
 * goes to `onCopy`, whether or not somebody drives, which is why it is not the driver's session.
 *
 * Quirks of x11vnc it lives with: it listens only while the room runs (the connection is
 * retried every `retryMs` until the watch stops); x11vnc sends a copy to every client, and also
 * echoes what a driver pastes (ClientCutText) to all of them, more than once: the gateway tells
 * `pasted()`, and recentPastes.ts tells those echoes from copies (so a pasted password never goes
 * to the viewers). It sends no ServerCutText in the first
 * 15 s after its first client (units/x11vnc@.service), so a watch started when the first
 * participant joins is past that by the time anybody copies.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { InputEndpoint } from '../runtime/types.js';
import { CLIPBOARD_MAX_BYTES } from '../rooms/clipboard.js';
import { openAuthenticated } from './rfb.js';
import { ServerMessageReader } from './serverCut.js';
import { RecentPastes } from './recentPastes.js';

export interface ClipboardWatchDeps {
  log: Logger;
  /**
   * Where the room's x11vnc listens and its VNC password (read at each connection: the room may
   * restart, on Kubernetes at another address); null, or a failure: not now, try again later.
   */
  target(roomId: string): Promise<{ endpoint: InputEndpoint; password: string } | null>;
  onCopy(roomId: string, text: Buffer): void;
  retryMs?: number;
}

interface Watched {
  socket: Socket | null;
  retry: NodeJS.Timeout | null;
  stopped: boolean;
  /** What drivers pasted lately. */
  pastes: RecentPastes;
}

export class ClipboardWatch {
  private readonly rooms = new Map<string, Watched>();

  constructor(private readonly deps: ClipboardWatchDeps) {}

  /** Hears the room's clipboard until the returned stop is called. One watch per room. */
  watch(roomId: string): () => void {
    const old = this.rooms.get(roomId);
    if (old) this.stop(roomId, old);
    const w: Watched = { socket: null, retry: null, stopped: false, pastes: new RecentPastes() };
    this.rooms.set(roomId, w);
    void this.connect(roomId, w);
    return () => this.stop(roomId, w);
  }

  private stop(roomId: string, w: Watched): void {
    w.stopped = true;
    if (w.retry) clearTimeout(w.retry);
    w.socket?.destroy();
    if (this.rooms.get(roomId) === w) this.rooms.delete(roomId);
  }

  /** A driver pasted `text` into the room: its echo is not a copy. */
  pasted(roomId: string, text: Buffer): void {
    const w = this.rooms.get(roomId);
    if (!w) return;
    w.pastes.add(text);
  }

  watching(roomId: string): boolean {
    return this.rooms.get(roomId)?.socket != null;
  }

  private async connect(roomId: string, w: Watched): Promise<void> {
    let opened;
    try {
      const target = await this.deps.target(roomId);
      if (w.stopped) return;
      if (!target) return this.retryLater(roomId, w);
      opened = await openAuthenticated(target.endpoint, target.password, 5000, true);
    } catch {
      return this.retryLater(roomId, w); // not running (yet), or restarting
    }
    if (w.stopped) return void opened.socket.destroy();
    const { socket, rest } = opened;
    w.socket = socket;
    const reader = new ServerMessageReader(CLIPBOARD_MAX_BYTES);
    const read = (chunk: Buffer) => {
      for (const ev of reader.push(chunk)) {
        if (ev.kind === 'unframed') return void socket.destroy(); // cannot be framed: start afresh
        if (ev.kind !== 'cut-text' || ev.text.length === 0) continue; // no copy: see session.ts
        if (!w.pastes.isEcho(ev.text)) this.deps.onCopy(roomId, ev.text);
      }
    };
    socket.on('data', read);
    socket.on('close', () => {
      w.socket = null;
      this.retryLater(roomId, w);
    });
    if (rest.length > 0) read(rest);
    this.deps.log.info('clipboard: watching the room', { room: roomId });
  }

  private retryLater(roomId: string, w: Watched): void {
    if (w.stopped || w.retry) return;
    w.retry = setTimeout(() => {
      w.retry = null;
      if (!w.stopped) void this.connect(roomId, w);
    }, this.deps.retryMs ?? 2000);
    w.retry.unref();
  }
}
