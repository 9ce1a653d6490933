/**
 * The room channel's part of copy-out to everyone (server/presence/clipboardRelay.ts): which rooms
 * are watched and for how long, and which get the copies. The watcher itself runs against real
 * x11vnc in test/vnc/clipboardEveryone.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ClipboardRelay } from '../../server/presence/clipboardRelay.js';
import type { ClipboardMode } from '../../server/rooms/clipboard.js';
import type { RoomRecord } from '../../server/rooms/types.js';
import type { ServerMessage } from '../../protocol/roomChannel.js';

function relayFor(modes: Record<string, ClipboardMode | undefined>) {
  const watching = new Map<string, number>();
  const sent: Array<{ roomId: string; msg: ServerMessage }> = [];
  const relay = new ClipboardRelay({
    rooms: {
      get: (id: string) => {
        if (!(id in modes)) throw new Error('not found');
        return { config: modes[id] === undefined ? {} : { clipboard: modes[id] } } as unknown as RoomRecord;
      },
    },
    watch: (roomId) => {
      watching.set(roomId, (watching.get(roomId) ?? 0) + 1);
      return () => watching.set(roomId, watching.get(roomId)! - 1);
    },
    broadcast: (roomId, msg) => void sent.push({ roomId, msg }),
  });
  return { relay, watching, sent };
}

describe('copy-out to everyone, on the room channel', () => {
  it("watches an 'everyone' room from its first participant to its last, once", () => {
    const { relay, watching } = relayFor({ all: 'everyone' });
    relay.joined('all');
    relay.joined('all');
    expect(watching.get('all')).toBe(1);
    relay.left('all');
    expect(watching.get('all')).toBe(1);
    relay.left('all');
    expect(watching.get('all')).toBe(0);
    relay.joined('all');
    expect(watching.get('all')).toBe(1);
  });

  it("sends the session's copy to the room whole: the kiosk's UTF-8 as such, else Latin-1", () => {
    const { relay, sent } = relayFor({ all: 'everyone' });
    relay.joined('all');
    relay.copied('all', Buffer.from('café — €', 'utf8'));
    relay.copied('all', Buffer.from('caf\xe9', 'latin1'));
    expect(sent.map((s) => s.msg)).toEqual([{ type: 'clipboard', text: 'café — €' }, { type: 'clipboard', text: 'café' }]);
  });

  it("never watches nor sends for 'driver', 'off', older rooms (read as 'driver') or a deleted room", () => {
    const { relay, watching, sent } = relayFor({ drv: 'driver', off: 'off', old: undefined });
    for (const id of ['drv', 'off', 'old', 'gone']) {
      relay.joined(id);
      relay.copied(id, Buffer.from('secret'));
      relay.left(id);
    }
    expect([...watching.keys()]).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('sends nothing for a room nobody is in, and stop() ends every watch', () => {
    const { relay, watching, sent } = relayFor({ a: 'everyone', b: 'everyone' });
    relay.copied('a', Buffer.from('nobody here'));
    relay.joined('a');
    relay.joined('b');
    relay.stop();
    relay.copied('a', Buffer.from('after stop'));
    expect(sent).toEqual([]);
    expect(Object.fromEntries(watching)).toEqual({ a: 0, b: 0 });
  });
});
