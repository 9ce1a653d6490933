/**
 * The room page's chat state through the page's reducer (web/src/room/chatState.ts via reduce.ts):
 * history replaces, entries already seen are not added twice, the unread badge counts only
 * others' messages while the panel is closed, refusals show until our next message goes through,
 * a clear empties; and the link splitting of a message (web/src/room/chatText.ts).
 */
import { describe, expect, it } from 'vitest';
import { reduce } from '../../web/src/room/reduce.js';
import { initialState, type RoomEvent, type RoomState } from '../../web/src/room/state.js';
import { linkRuns } from '../../web/src/room/chatText.js';
import type { ChatEntry } from '../../protocol/chat.js';
import type { Room } from '../../web/src/shared/types.js';

const room = { id: 'r1', name: 'Movie night', status: { state: 'live' }, config: { width: 1920, height: 1080, fps: 30 }, stream: { rtmp: '', web: [] } } as unknown as Room;
const ME = { id: 'a', key: 'ka', name: 'Alice', isAdmin: false };

const msg = (seq: number, from: string, text = `m${seq}`): ChatEntry => ({ kind: 'message', seq, at: 1000 * seq, from, name: from === 'a' ? 'Alice' : 'Bob', text });

function run(events: RoomEvent[]): RoomState {
  let s = initialState(room, { name: 'Alice', canSound: true, volume: 1 });
  for (const e of [{ type: 'welcome', you: ME } as RoomEvent, ...events]) s = reduce(s, e).state;
  return s;
}

describe('room page chat state', () => {
  it('takes the history, then adds new entries once (an entry the history already had is skipped)', () => {
    const s = run([
      { type: 'chat-entry', entry: msg(3, 'b') }, // arrived just before the history that holds it
      { type: 'chat-history', entries: [msg(1, 'b'), msg(2, 'a'), msg(3, 'b')] },
      { type: 'chat-entry', entry: msg(3, 'b') },
      { type: 'chat-entry', entry: msg(4, 'b') },
    ]);
    expect(s.chat.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it("counts others' messages while the panel is closed, not ours, not notices, not the history; opening clears it", () => {
    let s = run([
      { type: 'chat-history', entries: [msg(1, 'b')] },
      { type: 'chat-entry', entry: msg(2, 'b') },
      { type: 'chat-entry', entry: msg(3, 'a') },
      { type: 'chat-entry', entry: { kind: 'joined', seq: 4, at: 4000, from: 'c', name: 'Cy' } },
      { type: 'chat-entry', entry: msg(5, 'b') },
    ]);
    expect(s.chat.unread).toBe(2);
    s = reduce(s, { type: 'chat-open', open: true }).state;
    expect(s.chat).toMatchObject({ open: true, unread: 0 });
    s = reduce(s, { type: 'chat-entry', entry: msg(6, 'b') }).state;
    expect(s.chat.unread).toBe(0);
  });

  it('shows a refusal until our next message goes through; a clear leaves only its entry', () => {
    let s = run([{ type: 'chat-open', open: true }, { type: 'chat-refused', message: 'too many messages' }]);
    expect(s.chat.error).toBe('too many messages');
    s = reduce(s, { type: 'chat-entry', entry: msg(1, 'b') }).state;
    expect(s.chat.error).toBe('too many messages');
    s = reduce(s, { type: 'chat-entry', entry: msg(2, 'a') }).state;
    expect(s.chat.error).toBeNull();
    s = reduce(s, { type: 'chat-not-sent' }).state;
    expect(s.chat.error).toMatch(/not connected/i);
    const cleared: ChatEntry = { kind: 'cleared', seq: 3, at: 3000, from: 'b', name: 'Bob' };
    s = reduce(s, { type: 'chat-cleared', entry: cleared }).state;
    expect(s.chat).toMatchObject({ entries: [cleared], error: null, unread: 0 });
  });
});

describe('chat links', () => {
  it('cuts http(s) links out of the text, trailing punctuation left as text', () => {
    expect(linkRuns('see https://example.org/a?b=1, then (http://x.test/y).')).toEqual([{ text: 'see ' }, { url: 'https://example.org/a?b=1' }, { text: ', then (' }, { url: 'http://x.test/y' }, { text: ').' }]);
  });

  it('leaves other schemes and markup as plain text', () => {
    expect(linkRuns('javascript:alert(1) <b>hi</b>')).toEqual([{ text: 'javascript:alert(1) <b>hi</b>' }]);
    expect(linkRuns('file:///etc/passwd data:text/html,hi')).toEqual([{ text: 'file:///etc/passwd data:text/html,hi' }]);
    expect(linkRuns('plain')).toEqual([{ text: 'plain' }]);
  });
});
