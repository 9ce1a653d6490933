/**
 * Copy-out to the whole room (issue 14, clipboard 'everyone'), the room channel's part: while a
 * room whose clipboard is 'everyone' has anybody on its channel, it is watched (the `watch` the
 * context wires: vnc/clipboardWatch.ts, an RFB connection of the admin service's own), and every
 * text the session copies goes to every participant as `{ type: 'clipboard', text }`. Rooms set to
 * 'driver' or 'off' are never watched and never send it: there the driver alone gets copies, over
 * VNC. The size limit is the watcher's (CLIPBOARD_MAX_BYTES, longer texts never arrive); the text
 * goes whole, UTF-8 included (vnc/cutTextCharset.ts), where a driver's noVNC gets Latin-1.
 */
import type { RoomsService } from '../rooms/service.js';
import { clipboardMode } from '../rooms/clipboard.js';
import { copiedText } from '../vnc/cutTextCharset.js';
import type { ServerMessage } from '../../protocol/roomChannel.js';

export interface ClipboardRelayDeps {
  rooms: Pick<RoomsService, 'get'>;
  /** Starts hearing the room's clipboard; returns the stop. */
  watch(roomId: string): () => void;
  broadcast(roomId: string, msg: ServerMessage): void;
}

interface Watched {
  participants: number;
  stop: () => void;
}

export class ClipboardRelay {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly deps: ClipboardRelayDeps) {}

  /** Someone joined the room's channel: the first one in an 'everyone' room starts the watch. */
  joined(roomId: string): void {
    const w = this.watched.get(roomId);
    if (w) return void w.participants++;
    if (this.modeOf(roomId) !== 'everyone') return;
    this.watched.set(roomId, { participants: 1, stop: this.deps.watch(roomId) });
  }

  /** Someone left: with nobody left to tell, the watch stops. */
  left(roomId: string): void {
    const w = this.watched.get(roomId);
    if (!w || --w.participants > 0) return;
    w.stop();
    this.watched.delete(roomId);
  }

  /** The watched session copied `text`. */
  copied(roomId: string, text: Buffer): void {
    if (!this.watched.has(roomId) || this.modeOf(roomId) !== 'everyone') return;
    this.deps.broadcast(roomId, { type: 'clipboard', text: copiedText(text) }); // whole: JSON has no charset limit
  }

  stop(): void {
    for (const w of this.watched.values()) w.stop();
    this.watched.clear();
  }

  private modeOf(roomId: string): string | null {
    try {
      return clipboardMode(this.deps.rooms.get(roomId).config);
    } catch {
      return null; // deleted
    }
  }
}
