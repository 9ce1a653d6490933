/**
 * The room page's state (web/src/room/state.ts, reduce.ts): events in, state and effects out,
 * including the awkward orders: control granted while a release is in flight, the channel dropping
 * and coming back, a VNC token that arrives after control moved, kicked, password changed, the
 * player falling back to another path.
 */
import { describe, expect, it } from 'vitest';
import { reduce } from '../../web/src/room/reduce.js';
import { amHolder, initialState, shouldDrive, type Effect, type RoomEvent, type RoomState } from '../../web/src/room/state.js';
import { createStore } from '../../web/src/room/store.js';
import type { Room } from '../../web/src/shared/types.js';

const room = { id: 'r1', name: 'Movie night', status: { state: 'live' }, config: { width: 1920, height: 1080, fps: 30 }, stream: { rtmp: '', web: [] } } as unknown as Room;
const ALICE = { id: 'a', key: 'ka', name: 'Alice', isAdmin: false };
const BOB = { id: 'b', name: 'Bob', isAdmin: false };
const people = [{ id: ALICE.id, name: 'Alice', isAdmin: false }, BOB];

/** Runs events in order; returns the last state and every effect asked for on the way. */
function run(events: RoomEvent[], from = initialState(room, { name: 'Alice', canSound: true, volume: 1 })): { state: RoomState; effects: Effect[] } {
  let state = from;
  const effects: Effect[] = [];
  for (const e of events) {
    const out = reduce(state, e);
    state = out.state;
    effects.push(...out.effects);
  }
  return { state, effects };
}

const presence = (holder: string | null, requests: string[] = [], now = 0): RoomEvent => ({ type: 'presence', holder, requests, participants: people, now });
const joined: RoomEvent[] = [{ type: 'channel-status', status: 'open' }, { type: 'welcome', you: ALICE }];
const texts = (s: RoomState) => s.flashes.map((f) => f.text);
const kinds = (fx: Effect[]) => fx.map((f) => f.type);

describe('room state: control', () => {
  it('the first state after joining describes the room as found; later changes are news', () => {
    const watching = run([...joined, presence(BOB.id)]);
    expect(texts(watching.state)).toEqual([]);
    const after = run([presence(null)], watching.state);
    expect(texts(after.state)).toEqual(['Nobody is driving now.']);
    const driving = run([presence(ALICE.id)], after.state);
    expect(amHolder(driving.state)).toBe(true);
    expect(texts(driving.state).at(-1)).toBe('You are driving. Your mouse, touch and keyboard now control the room.');
    expect(driving.effects).toContainEqual({ type: 'fetch-token', for: ALICE });
    expect(driving.state.link).toBe('fetching');
  });

  it('joining as the holder says so once, with its own words', () => {
    const { state } = run([...joined, presence(ALICE.id)]);
    expect(texts(state)).toEqual(['You are driving. Your mouse, touch and keyboard control the room.']);
  });

  it('a release in flight: states that still show us holding keep it pending; the move then reads as ours', () => {
    const holding = run([...joined, presence(ALICE.id), { type: 'control-sent', action: 'release' }]);
    expect(holding.state.releasing).toBe(true);
    // Bob asked before the server saw our release: we still hold, nothing is said, the release still pends.
    const stillHolding = run([presence(ALICE.id, [BOB.id])], holding.state);
    expect(stillHolding.state.releasing).toBe(true);
    expect(amHolder(stillHolding.state)).toBe(true);
    const released = run([presence(BOB.id, [], 10_000)], stillHolding.state);
    expect(texts(released.state).at(-1)).toBe('You released control; Bob is driving.');
    expect(released.state.releasing).toBe(false);
  });

  it('control granted back while a release was in flight: we drive again, and a later loss is not called a release', () => {
    const s1 = run([...joined, presence(ALICE.id), { type: 'control-sent', action: 'release' }, presence(null)]).state;
    expect(texts(s1).at(-1)).toBe('You released control.');
    // Granted again (we asked, or an admin passed it): the old release must not colour the next move.
    const s2 = run([presence(ALICE.id), presence(BOB.id)], s1).state;
    expect(texts(s2).at(-1)).toBe('Control passed to Bob.');
  });

  it('losing control at the idle deadline is called idle; the same move early is a pass', () => {
    const warned = run([...joined, presence(ALICE.id), { type: 'idle-warning', msLeft: 5000, now: 1000 }]).state;
    expect(warned.idleDeadline).toBe(6000);
    expect(texts(run([presence(null, [], 5000)], warned).state).at(-1)).toBe('You lost control after being idle.');
    expect(texts(run([presence(null, [], 2000)], warned).state).at(-1)).toBe('You no longer have control.');
    // Our own activity lifts the warning.
    expect(run([{ type: 'activity' }], warned).state.idleDeadline).toBeNull();
  });

  it('a request that ends without control: "kept control" unless we cancelled it ourselves', () => {
    const asking = run([...joined, presence(BOB.id, [ALICE.id])]).state;
    expect(texts(run([presence(BOB.id)], asking).state)).toEqual(['Bob kept control.']);
    const cancelled = run([{ type: 'control-sent', action: 'cancel' }, presence(BOB.id)], asking).state;
    expect(texts(cancelled)).toEqual([]);
    expect(cancelled.cancelling).toBe(false);
  });

  it('a rename outlives a dropped channel (the next connection introduces us with it)', () => {
    const { state } = run([...joined, { type: 'renamed', name: 'Alicia' }, { type: 'channel-status', status: 'reconnecting' }]);
    expect(state.name).toBe('Alicia');
  });

  it('a control message that could not be sent flashes, and sets nothing pending', () => {
    const { state } = run([{ type: 'control-not-sent' }]);
    expect(texts(state)).toEqual(['Not connected yet; try again in a moment.']);
    expect(state.releasing || state.cancelling).toBe(false);
  });

  it('keeps at most two flashes, drops a repeated text, and each expires by its id', () => {
    const out = run([{ type: 'server-error', message: 'one' }, { type: 'server-error', message: 'two' }, { type: 'server-error', message: 'one' }, { type: 'server-error', message: 'three' }]);
    expect(texts(out.state)).toEqual(['One', 'Three']);
    const expiries = out.effects.filter((f): f is Extract<Effect, { type: 'expire-flash' }> => f.type === 'expire-flash');
    expect(expiries.map((f) => f.ms)).toEqual([4000, 4000, 4000, 4000]);
    const gone = run([{ type: 'flash-expired', id: out.state.flashes[0]!.id }], out.state).state;
    expect(texts(gone)).toEqual(['Three']);
  });
});

describe('room state: the channel drops and comes back', () => {
  it('forgets who we were, what we held and sent, clears cursors and lets go of input', () => {
    const driving = run([...joined, presence(ALICE.id), { type: 'token-ok', for: ALICE, url: 'ws://x/vnc?token=t' }, { type: 'input-state', state: 'on' }, { type: 'idle-warning', msLeft: 3000, now: 0 }, { type: 'control-sent', action: 'release' }]);
    expect(driving.effects).toContainEqual({ type: 'connect-input', url: 'ws://x/vnc?token=t' });
    const dropped = run([{ type: 'channel-status', status: 'reconnecting' }], driving.state);
    expect(dropped.state).toMatchObject({ channel: 'reconnecting', me: null, holder: null, requests: [], idleDeadline: null, releasing: false, fresh: true });
    expect(kinds(dropped.effects)).toEqual(['clear-cursors', 'disconnect-input']);
    expect(dropped.state.participants).toEqual(people); // still shown while reconnecting
    // Back as a new participant who holds control again (the server kept it for nobody): said as found.
    const BACK = { ...ALICE, id: 'a2', key: 'k2' };
    const back = run([{ type: 'input-state', state: 'off' }, { type: 'channel-status', status: 'open' }, { type: 'welcome', you: BACK }, { type: 'presence', holder: BACK.id, requests: [], participants: [{ id: BACK.id, name: 'Alice', isAdmin: false }], now: 0 }], dropped.state);
    expect(texts(back.state).at(-1)).toBe('You are driving. Your mouse, touch and keyboard control the room.');
    expect(back.effects).toContainEqual({ type: 'fetch-token', for: BACK });
  });

  it('a token asked for by the old identity is not used by the new one', () => {
    const asked = run([...joined, presence(ALICE.id)]).state;
    const BACK = { ...ALICE, id: 'a2', key: 'k2' };
    const back = run([{ type: 'channel-status', status: 'reconnecting' }, { type: 'channel-status', status: 'open' }, { type: 'welcome', you: BACK }, { type: 'presence', holder: BACK.id, requests: [], participants: [], now: 0 }], asked);
    expect(back.state.link).toBe('fetching'); // the old request is still out: no second one yet
    const late = run([{ type: 'token-ok', for: ALICE, url: 'ws://x/vnc?token=old' }], back.state);
    expect(late.effects).not.toContainEqual(expect.objectContaining({ type: 'connect-input' }));
    expect(late.effects).toContainEqual({ type: 'fetch-token', for: BACK });
  });
});

describe('room state: the input link', () => {
  const driving = () => run([...joined, presence(ALICE.id)]).state;

  it('a token that arrives after control moved connects nothing', () => {
    const moved = run([presence(BOB.id), { type: 'token-ok', for: ALICE, url: 'ws://x' }], driving());
    expect(kinds(moved.effects)).not.toContain('connect-input');
    expect(moved.state.link).toBe('idle');
  });

  it('backs off after failures, calls it trouble from the second, and is quiet about 403/409 and a 429 wait', () => {
    const once = run([{ type: 'token-failed', status: 502 }], driving());
    expect(once.effects).toContainEqual({ type: 'schedule-input-retry', ms: 1400 });
    expect(once.state).toMatchObject({ link: 'backoff', inputFailures: 1, inputTrouble: false });
    const twice = run([{ type: 'input-retry-due' }, { type: 'token-failed', status: 502 }], once.state);
    expect(twice.state).toMatchObject({ inputFailures: 2, inputTrouble: true });
    expect(twice.effects).toContainEqual({ type: 'schedule-input-retry', ms: 2800 });
    const moved = run([{ type: 'input-retry-due' }, { type: 'token-failed', status: 409 }], driving());
    expect(moved.state.inputFailures).toBe(0);
    const limited = run([{ type: 'token-failed', status: 429, retryAfterS: 3 }], driving());
    expect(limited.effects).toContainEqual({ type: 'schedule-input-retry', ms: 3000 });
    expect(limited.state.inputFailures).toBe(0);
    // Coming on clears the trouble.
    expect(run([{ type: 'input-retry-due' }, { type: 'token-ok', for: ALICE, url: 'ws://x' }, { type: 'input-state', state: 'on' }], twice.state).state).toMatchObject({ inputFailures: 0, inputTrouble: false });
  });

  it('losing control cancels a scheduled retry and closes the on-screen keyboard', () => {
    const waiting = run([{ type: 'token-failed', status: 502 }, { type: 'keyboard', open: true }], driving()).state;
    const out = run([presence(BOB.id)], waiting);
    expect(kinds(out.effects)).toEqual(expect.arrayContaining(['cancel-input-retry', 'close-keyboard']));
    expect(out.state).toMatchObject({ link: 'idle', inputFailures: 0, inputTrouble: false });
  });

  it('a lost connection while holding retries; while watching it is nothing', () => {
    const on = run([{ type: 'token-ok', for: ALICE, url: 'ws://x' }, { type: 'input-state', state: 'on' }], driving()).state;
    const lost = run([{ type: 'input-state', state: 'off' }, { type: 'input-lost' }], on);
    expect(lost.effects).toContainEqual({ type: 'schedule-input-retry', ms: 1400 });
    const watching = run([...joined, presence(BOB.id), { type: 'input-lost' }]).state;
    expect(watching.inputFailures).toBe(0);
  });
});

describe('room state: the room and the player', () => {
  it('a stopped room stops the player and the input; started again it loads once', () => {
    const driving = run([...joined, presence(ALICE.id), { type: 'player-state', state: 'playing' }, { type: 'token-ok', for: ALICE, url: 'ws://x' }, { type: 'input-state', state: 'on' }]).state;
    const stopped = run([{ type: 'room-state', state: 'stopping' }], driving);
    expect(kinds(stopped.effects)).toEqual(['stop-player', 'disconnect-input']);
    expect(shouldDrive(stopped.state)).toBe(false);
    const started = run([{ type: 'player-state', state: 'idle' }, { type: 'input-state', state: 'off' }, { type: 'room-state', state: 'starting' }], stopped.state);
    expect(kinds(started.effects)).toEqual(['load-player', 'fetch-token']);
    // A restart while playing does not reload: the player rides it out.
    expect(kinds(run([{ type: 'player-state', state: 'playing' }, { type: 'room-state', state: 'restarting' }], started.state).effects)).not.toContain('load-player');
  });

  it('the player falling back to another path is kept with its reason', () => {
    const fast = run([{ type: 'player-state', state: 'waiting' }, { type: 'player-path', path: { name: 'fast', label: 'fast (WebCodecs)', why: null } }, { type: 'player-state', state: 'playing' }]).state;
    const hls = run([{ type: 'player-state', state: 'stalled' }, { type: 'player-path', path: { name: 'hls', label: 'hls', why: 'every fast-path seat is taken' } }, { type: 'player-state', state: 'playing' }], fast).state;
    expect(hls.path).toEqual({ name: 'hls', label: 'hls', why: 'every fast-path seat is taken' });
    expect(hls.player).toBe('playing');
  });

  it('sound: autoplay forced mute until a gesture unmutes; the slider at 0 mutes', () => {
    const muted = run([{ type: 'autoplay-muted' }]).state;
    expect(muted).toMatchObject({ muted: true, autoplayMuted: true });
    expect(run([{ type: 'sound', muted: true, volume: 0 }], muted).state.autoplayMuted).toBe(true);
    expect(run([{ type: 'sound', muted: false, volume: 0.4 }], muted).state).toMatchObject({ muted: false, autoplayMuted: false, volume: 0.4 });
  });
});

describe('room state: the end', () => {
  it('kicked: the page ends as removed and nothing after changes it', () => {
    const driving = run([...joined, presence(ALICE.id)]).state;
    const out = run([{ type: 'ended', reason: 'removed' }], driving);
    expect(out.state.ended).toEqual({ reason: 'removed' });
    expect(out.effects).toEqual([{ type: 'end', reason: 'removed' }]);
    const after = reduce(out.state, { type: 'channel-status', status: 'closed' });
    expect(after.state).toBe(out.state);
    expect(after.effects).toEqual([]);
  });

  it('password changed, a full room (with the server\'s reason) and a deleted room end it too', () => {
    expect(run([{ type: 'ended', reason: 'password' }]).effects).toEqual([{ type: 'end', reason: 'password' }]);
    expect(run([{ type: 'ended', reason: 'full', detail: 'too many from your address' }]).state.ended).toEqual({ reason: 'full', detail: 'too many from your address' });
    expect(run([{ type: 'room-state', state: 'deleted' }]).effects).toEqual([{ type: 'end', reason: 'deleted' }]);
  });
});

describe('the room store', () => {
  it('queues events dispatched by effects, and tells subscribers once per dispatch', () => {
    const seen: string[] = [];
    const store = createStore(initialState(room, { name: 'Alice', canSound: true, volume: 1 }), (fx) => {
      seen.push(fx.type);
      // noVNC answers connect() synchronously with 'connecting'.
      if (fx.type === 'connect-input') store.dispatch({ type: 'input-state', state: 'connecting' });
    });
    let calls = 0;
    store.subscribe(() => calls++);
    for (const e of [...joined, presence(ALICE.id)]) store.dispatch(e);
    expect(calls).toBe(3);
    store.dispatch({ type: 'token-ok', for: ALICE, url: 'ws://x' });
    expect(calls).toBe(4);
    expect(store.state.input).toBe('connecting');
    expect(seen).toEqual(['expire-flash', 'fetch-token', 'connect-input']);
    store.dispatch({ type: 'input-state', state: 'connecting' }); // no change: nobody is told
    expect(calls).toBe(4);
  });
});

describe('room state: a room stopped for being idle, and the time limit', () => {
  const idleRoom = { ...room, status: { state: 'stopped', stopReason: 'idle' } } as unknown as Room;
  const opened = () => run([{ type: 'opened' }], initialState(idleRoom, { name: 'Alice', canSound: true, volume: 1 }));

  it('opening the page of an idle-stopped room wakes it once; the answer starts the player', () => {
    const { state, effects } = opened();
    expect(state.wake).toBe('waking');
    expect(effects).toEqual([{ type: 'wake', afterMs: 0 }]);
    // The channel's news of the same stop while the wake is asked: not asked twice.
    expect(run([{ type: 'room-state', state: 'stopped', stopReason: 'idle' }], state).effects).not.toContainEqual(expect.objectContaining({ type: 'wake' }));
    const woken = run([{ type: 'wake-done', state: 'starting', stopReason: null }], state);
    expect(woken.state).toMatchObject({ wake: 'woken', roomState: 'starting', stopReason: null });
    expect(kinds(woken.effects)).toContain('load-player');
  });

  it('a room its admin stopped is not woken; one stopped as idle while the page is open is', () => {
    const adminStopped = { ...room, status: { state: 'stopped', stopReason: 'admin' } } as unknown as Room;
    expect(run([{ type: 'opened' }], initialState(adminStopped, { name: 'Alice', canSound: true, volume: 1 })).effects).toEqual([]);
    const live = run([{ type: 'opened' }, ...joined]);
    expect(live.effects).toEqual([]);
    const stopped = run([{ type: 'room-state', state: 'stopped', stopReason: 'idle' }], live.state);
    expect(stopped.effects).toContainEqual({ type: 'wake', afterMs: 0 });
  });

  it('a refusal for capacity is shown and not retried; too many wakes wait as long as the server says', () => {
    const { state } = opened();
    const refused = run([{ type: 'wake-failed', status: 409, code: 'capacity_exceeded', message: 'this host runs 2 of 2 rooms' }], state);
    expect(refused.state).toMatchObject({ wake: 'refused', wakeRefusal: { code: 'capacity_exceeded', message: 'this host runs 2 of 2 rooms' } });
    // Refused outright (an edge that does not let the call through): said, not asked again and again.
    const forbidden = run([{ type: 'wake-failed', status: 403, code: 'https_required', message: 'this call needs HTTPS' }], state);
    expect(forbidden.state).toMatchObject({ wake: 'refused', wakeRefusal: { code: 'https_required' } });
    expect(forbidden.effects).toEqual([]);
    const broken = run([{ type: 'wake-failed', status: 503, code: 'unavailable', message: 'systemd away' }], state);
    expect(broken.effects).toEqual([{ type: 'wake', afterMs: 2000 }]);
    expect(refused.effects).toEqual([]);
    const limited = run([{ type: 'wake-failed', status: 429, code: 'too_many_wakes', message: 'slow down', retryAfterS: 7 }], state);
    expect(limited.effects).toEqual([{ type: 'wake', afterMs: 7000 }]);
    const away = run([{ type: 'wake-failed', status: 0, code: 'network', message: 'offline' }], state);
    expect(away.effects).toEqual([{ type: 'wake', afterMs: 2000 }]);
    const adminStopped = run([{ type: 'wake-failed', status: 409, code: 'room_stopped', message: 'this room was stopped by its admin' }], state);
    expect(adminStopped.state).toMatchObject({ wake: 'none', stopReason: 'admin' });
    expect(adminStopped.effects).toEqual([]);
  });

  it('keeps the time limit until the room stops or the warning is withdrawn', () => {
    const warned = run([...joined, { type: 'time-limit', at: 123_000 }]);
    expect(warned.state.timeLimitAt).toBe(123_000);
    expect(run([{ type: 'time-limit', at: null }], warned.state).state.timeLimitAt).toBeNull();
    const ended = run([{ type: 'room-state', state: 'stopped', stopReason: 'time-limit' }], warned.state);
    expect(ended.state).toMatchObject({ timeLimitAt: null, stopReason: 'time-limit' });
    expect(ended.effects).not.toContainEqual(expect.objectContaining({ type: 'wake' }));
  });
});
