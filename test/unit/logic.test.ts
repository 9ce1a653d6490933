import { describe, expect, it } from 'vitest';
import { isRoomId, newRoomId } from '../../server/rooms/ids.js';
import { roomStatus, memberState } from '../../server/rooms/status.js';
import { formatEnvFile, quoteEnvValue } from '../../server/runtime/systemd/envFile.js';
import { pathOfUnit, roomOfUnit, unitOfPath, roleOfUnit } from '../../server/runtime/systemd/units.js';
import { LoginThrottle } from '../../server/auth/throttle.js';
import { VncTokens } from '../../server/control/vncTokens.js';
import { defaultBitrateKbps } from '../../server/http/schemas.js';
import { MEMBER_ROLES, type MemberRole, type RoomRuntimeStatus, type UnitState } from '../../server/runtime/types.js';

describe('room IDs', () => {
  it('are 120 random bits, URL-safe and valid systemd instance names', () => {
    const ids = new Set(Array.from({ length: 2000 }, newRoomId));
    expect(ids.size).toBe(2000);
    for (const id of ids) {
      expect(id).toMatch(/^[a-z2-7]{24}$/);
      expect(isRoomId(id)).toBe(true);
      expect(encodeURIComponent(id)).toBe(id);
    }
    expect(isRoomId('a'.repeat(23))).toBe(false);
    expect(isRoomId('a'.repeat(23) + '-')).toBe(false);
  });
});

const unit = (activeState: string, subState = 'running', result = 'success'): UnitState => ({ unit: 'u', activeState, subState, result, since: '2026-01-01T00:00:00.000Z', restarts: 0 });
const runtimeStatus = (states: Partial<Record<MemberRole, UnitState>>, fallback = unit('active')): RoomRuntimeStatus => ({
  group: unit('active'),
  members: Object.fromEntries(MEMBER_ROLES.map((r) => [r, { ...(states[r] ?? fallback), unit: `${r}.service` }])) as Record<MemberRole, UnitState>,
});

describe('room status words', () => {
  it('maps systemd states to what people see', () => {
    expect(memberState(unit('active'))).toBe('live');
    expect(memberState(unit('activating', 'start'))).toBe('starting');
    expect(memberState(unit('activating', 'auto-restart'))).toBe('restarting');
    expect(memberState(unit('deactivating'))).toBe('stopping');
    expect(memberState(unit('failed'))).toBe('failed');
    expect(memberState(unit('inactive', 'dead'))).toBe('stopped');
  });

  it('is live only when every member is', () => {
    expect(roomStatus('running', runtimeStatus({}), null).state).toBe('live');
    expect(roomStatus('running', runtimeStatus({ stream: unit('activating', 'start') }), null).state).toBe('starting');
    expect(roomStatus('running', runtimeStatus({ browser: unit('activating', 'auto-restart') }), null).state).toBe('restarting');
  });

  it('names the failed member and why', () => {
    const s = roomStatus('running', runtimeStatus({ stream: unit('failed', 'failed', 'start-limit-hit') }), null);
    expect(s.state).toBe('failed');
    expect(s.failure).toMatchObject({ role: 'stream', unit: 'stream.service', reason: expect.stringContaining('gave up') });
  });

  it('reports stopped, stopping, deleting and unknown', () => {
    expect(roomStatus('stopped', runtimeStatus({}, unit('inactive', 'dead')), null).state).toBe('stopped');
    expect(roomStatus('stopped', runtimeStatus({ audio: unit('deactivating') }, unit('inactive', 'dead')), null).state).toBe('stopping');
    expect(roomStatus('deleting', runtimeStatus({}), null).state).toBe('deleting');
    const unknown = roomStatus('running', null, null, 'bus down');
    expect(unknown).toMatchObject({ state: 'unknown', detail: 'bus down' });
  });

  it('shows a recorded start failure while nothing runs', () => {
    const failure = { role: null, unit: 'room@x.target', reason: 'NoSuchUnit', at: 'now' };
    const s = roomStatus('running', runtimeStatus({}, unit('inactive', 'dead')), failure);
    expect(s).toMatchObject({ state: 'failed', failure });
  });
});

describe('env files', () => {
  it('quote values so systemd reads them back verbatim', () => {
    expect(quoteEnvValue('plain')).toBe('"plain"');
    expect(quoteEnvValue('a"b\\c$d`e')).toBe('"a\\"b\\\\c\\$d\\`e"');
    expect(quoteEnvValue('two\nlines')).toBe('"two\\nlines"');
  });

  it('carry every variable the units read', () => {
    const text = formatEnvFile({ id: 'abc', display: 12, width: 1280, height: 720, fps: 25, videoBitrateKbps: 2000, startUrl: 'https://x.test/?a=1&b=$HOME', vncPassword: 'secret', relayUrl: 'http://127.0.0.1:8081/ingest/abc/k3y/' }, 'rtmp://127.0.0.1:1935/live');
    expect(text).toContain('ROOM_ID="abc"');
    expect(text).toContain('ROOM_DISPLAY="12"');
    expect(text).toContain('ROOM_START_URL="https://x.test/?a=1&b=\\$HOME"');
    expect(text).toContain('ROOM_RTMP_URL="rtmp://127.0.0.1:1935/live/abc"');
    expect(text).toContain('ROOM_RELAY_URL="http://127.0.0.1:8081/ingest/abc/k3y/"');
    expect(text).toContain('ROOM_KEYFRAME_INTERVAL="13"'); // two key frames a second at 25 fps, rounded
    expect(text).not.toContain('secret'); // the VNC password goes to its own 0600 file
  });
});

describe('systemd unit names and object paths', () => {
  it('escapes and unescapes like systemd', () => {
    expect(pathOfUnit('xvfb@abc.service')).toBe('/org/freedesktop/systemd1/unit/xvfb_40abc_2eservice');
    expect(unitOfPath('/org/freedesktop/systemd1/unit/room_40abc_2etarget')).toBe('room@abc.target');
    expect(unitOfPath('/org/freedesktop/systemd1/job/12')).toBeNull();
    expect(unitOfPath(pathOfUnit('x11vnc@q2.service'))).toBe('x11vnc@q2.service');
  });

  it('knows which units belong to rooms and which role they play', () => {
    expect(roomOfUnit('ffmpeg@abc.service')).toBe('abc');
    expect(roomOfUnit('room@abc.target')).toBe('abc');
    expect(roomOfUnit('nginx.service')).toBeNull();
    expect(roomOfUnit('getty@tty1.service')).toBeNull();
    expect(roleOfUnit('x11vnc@abc.service')).toBe('input');
    expect(roleOfUnit('room@abc.target')).toBeNull();
  });
});

describe('login throttle', () => {
  it('gives five free failures, then doubles the wait, and forgets after an hour', () => {
    let now = 0;
    const t = new LoginThrottle(() => now);
    for (let i = 0; i < 5; i++) {
      expect(t.waitMs('ip')).toBe(0);
      t.failed('ip');
    }
    expect(t.waitMs('ip')).toBe(1000);
    expect(t.waitMs('other')).toBe(0);
    now += 1000;
    t.failed('ip');
    expect(t.waitMs('ip')).toBe(2000);
    now += 3_600_001;
    expect(t.waitMs('ip')).toBe(0);
    t.failed('ip');
    t.succeeded('ip');
    expect(t.waitMs('ip')).toBe(0);
  });

  it('caps the wait', () => {
    const now = 0;
    const t = new LoginThrottle(() => now, { maxDelayMs: 60_000 });
    for (let i = 0; i < 40; i++) t.failed('ip');
    expect(t.waitMs('ip')).toBe(60_000);
  });
});

describe('VNC tokens', () => {
  it('expire and are bound to their room', () => {
    let now = 0;
    const tokens = new VncTokens(() => now);
    const a = tokens.issue({ roomId: 'r1', participantId: 'p', isAdmin: false })!;
    expect(tokens.consume(a.token, 'r2')).toBeNull();
    expect(tokens.consume(a.token, 'r1')).toBeNull(); // the wrong-room try used it up
    const b = tokens.issue({ roomId: 'r1', participantId: 'p', isAdmin: false })!;
    now += 30_000;
    expect(tokens.consume(b.token, 'r1')).toBeNull();
    const c = tokens.issue({ roomId: 'r1', participantId: 'p', isAdmin: false })!;
    tokens.revokeRoom('r1');
    expect(tokens.consume(c.token, 'r1')).toBeNull();
  });
});

describe('default bitrate', () => {
  it('is 4 Mbit/s at 1080p30 and scales with pixels and frames', () => {
    expect(defaultBitrateKbps(1920, 1080, 30)).toBe(4000);
    expect(defaultBitrateKbps(1280, 720, 30)).toBe(1800);
    expect(defaultBitrateKbps(320, 240, 1)).toBe(200);
  });
});
