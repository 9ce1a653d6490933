/**
 * The chat's rules (server/presence/chat.ts) on an injected clock: the ring of the last N entries,
 * the length and character checks, the per-participant rate, clearing, and forgetting a room.
 */
import { describe, expect, it } from 'vitest';
import { ChatLog, DEFAULT_CHAT_LIMITS } from '../../server/presence/chat.js';
import { CHAT_BURST, CHAT_HISTORY_MAX, CHAT_REFILL_MS, CHAT_TEXT_MAX_CHARS } from '../../protocol/chat.js';

const ana = { id: 'a', name: 'Ana' };
const bo = { id: 'b', name: 'Bo' };

function make(limits = DEFAULT_CHAT_LIMITS) {
  const clock = { now: 1_000_000 };
  return { clock, log: new ChatLog(limits, () => clock.now) };
}

describe('chat log', () => {
  it('keeps the last N entries of a room, oldest first, with growing seq and the server time', () => {
    const { clock, log } = make({ ...DEFAULT_CHAT_LIMITS, historyMax: 3, burst: 100 });
    for (let i = 1; i <= 5; i++) {
      clock.now += 1000;
      log.post('r1', ana, `m${i}`);
    }
    const h = log.history('r1');
    expect(h.map((e) => (e.kind === 'message' ? e.text : ''))).toEqual(['m3', 'm4', 'm5']);
    expect(h.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(h[2]!.at).toBe(clock.now);
    expect(log.history('r2')).toEqual([]);
    // A copy: the caller cannot change what is kept.
    h.pop();
    expect(log.history('r1')).toHaveLength(3);
  });

  it('the defaults: 100 entries, 500 characters, 5 in a row then one every 2 s', () => {
    expect(DEFAULT_CHAT_LIMITS).toEqual({ historyMax: CHAT_HISTORY_MAX, textMaxChars: CHAT_TEXT_MAX_CHARS, burst: CHAT_BURST, refillMs: CHAT_REFILL_MS });
    expect([CHAT_HISTORY_MAX, CHAT_TEXT_MAX_CHARS, CHAT_BURST, CHAT_REFILL_MS]).toEqual([100, 500, 5, 2000]);
  });

  it('refuses empty, too long and unclean text, naming the field, and keeps nothing of it', () => {
    const { log } = make();
    expect(log.post('r', ana, '   ')).toEqual({ refusal: { code: 'invalid_argument', message: 'text: write something first' } });
    const long = log.post('r', ana, 'x'.repeat(501));
    expect(long).toMatchObject({ refusal: { code: 'invalid_argument', message: expect.stringMatching(/^text: at most 500 characters \(this one has 501\)/) } });
    expect(log.post('r', ana, 'evil\u202Egnp.exe')).toMatchObject({ refusal: { code: 'invalid_argument', message: expect.stringMatching(/^text: .*bidirectional/) } });
    expect(log.post('r', ana, 'two\nlines')).toMatchObject({ refusal: { code: 'invalid_argument' } });
    expect(log.history('r')).toEqual([]);
    // 500 emoji are 500 characters (code points), not 1000 UTF-16 units; trimmed before counting.
    expect(log.post('r', ana, ` ${'😀'.repeat(500)} `)).toMatchObject({ entry: { kind: 'message', text: '😀'.repeat(500) } });
  });

  it('keeps markup as plain text: escaping is the page’s (textContent), nothing is stripped here', () => {
    const { log } = make();
    const r = log.post('r', { id: 'x', name: '<img src=x onerror=alert(1)>' }, '<script>alert(1)</script>');
    expect(r).toMatchObject({ entry: { name: '<img src=x onerror=alert(1)>', text: '<script>alert(1)</script>' } });
  });

  it('limits each participant to a burst of 5, then one every 2 s, with a clear rate_limited refusal', () => {
    const { clock, log } = make();
    for (let i = 0; i < 5; i++) expect(log.post('r', ana, `hi ${i}`)).toHaveProperty('entry');
    const refused = log.post('r', ana, 'one more');
    expect(refused).toEqual({ refusal: { code: 'rate_limited', message: 'too many messages: at most 5 in a row, then one every 2 s; try again in 2 s' } });
    // Someone else is not slowed by Ana.
    expect(log.post('r', bo, 'hello')).toHaveProperty('entry');
    clock.now += 1999;
    expect(log.post('r', ana, 'still too soon')).toHaveProperty('refusal');
    clock.now += 2;
    expect(log.post('r', ana, 'now')).toHaveProperty('entry');
    expect(log.post('r', ana, 'and not again')).toHaveProperty('refusal');
    expect(log.history('r').filter((e) => e.kind === 'message' && e.from === 'a')).toHaveLength(6);
    // A participant who left and came back is someone new (a new ID), with a full burst.
    log.forgetParticipant('a');
    expect(log.post('r', ana, 'back')).toHaveProperty('entry');
  });

  it('notices go into the stream with the messages', () => {
    const { log } = make();
    log.notice('r', { kind: 'joined', from: 'a', name: 'Ana' });
    log.post('r', ana, 'hi');
    log.notice('r', { kind: 'control', from: null, name: null });
    log.notice('r', { kind: 'left', from: 'a', name: 'Ana' });
    expect(log.history('r').map((e) => e.kind)).toEqual(['joined', 'message', 'control', 'left']);
  });

  it('clears only when allowed; a clear leaves one entry saying who cleared', () => {
    const { log } = make();
    log.post('r', ana, 'one');
    log.post('r', bo, 'two');
    expect(log.clear('r', bo, false)).toEqual({ refusal: { code: 'permission_denied', message: 'only the driver or the admin can clear the chat' } });
    expect(log.history('r')).toHaveLength(2);
    const cleared = log.clear('r', ana, true);
    expect(cleared).toMatchObject({ entry: { kind: 'cleared', from: 'a', name: 'Ana', seq: 3 } });
    expect(log.history('r')).toEqual([(cleared as { entry: unknown }).entry]);
  });

  it('forgets a room entirely', () => {
    const { log } = make();
    log.post('r', ana, 'one');
    log.post('s', ana, 'two');
    expect(log.roomIds().sort()).toEqual(['r', 's']);
    log.forgetRoom('r');
    expect(log.history('r')).toEqual([]);
    expect(log.roomIds()).toEqual(['s']);
  });
});
