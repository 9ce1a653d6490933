/**
 * Idle stop and time limits end to end, on the booted appliance with real browsers on another
 * host (a network namespace, plain HTTP to this machine's address): a room with a short idle time
 * keeps running while someone is in it and stops once the last participant left (read back from
 * systemd: its units are inactive), the dashboard says "Stopped: idle"; opening the link starts
 * it again and the page says "Starting…" and then plays, at desktop and at phone size; a room
 * with a short time limit warns the participant, stops with reason time-limit, and a visitor
 * does not start it again. Screenshots of each, looked at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, launchInNetns, type ParticipantBrowser } from '../harness/browser.js';
import { REPO_ROOT } from '../harness/container.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { HTTP_PORT } from '../support/applianceTls.js';
import { useBootedAppliance } from '../support/bootedAppliance.js';
import { eventually } from '../support/eventually.js';
import { enterRoom, expectPlaying, shownPath, statsText } from '../support/roomPage.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const MEMBERS = ['xvfb', 'pulse', 'browser', 'x11vnc', 'ffmpeg'];
const IDLE_MINUTES = 0.25; // 15 s: the smallest the API takes
const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };

interface RoomBody {
  status: { state: string; stopReason: string | null };
  session: { endsAt: string | null };
}

describe('idle stop and time limits, participants on another host', () => {
  const booted = useBootedAppliance(HTTP_PORT);
  let participant: Netns;
  let browser: ParticipantBrowser;
  let adminBrowser: Browser;
  let roomId = '';
  const link = (id: string) => `http://${participant.hostAddress}:${HTTP_PORT}/rooms/${id}`;
  const room = async (id: string) => (await (await booted.api(`/api/rooms/${id}`)).json()) as RoomBody;
  /** What systemd says of the room's target and its five members. */
  const unitStates = async (id: string) => (await booted.appliance.exec(['systemctl', 'is-active', `room@${id}.target`, ...MEMBERS.map((m) => `${m}@${id}.service`)])).stdout.trim().split('\n');
  const stoppedFor = async (id: string, reason: string, timeoutMs: number) => {
    await eventually(`the room stopped (${reason})`, () => room(id), (r) => r.status.state === 'stopped' && r.status.stopReason === reason, timeoutMs);
    // Not just the API's word: every unit of the room is down.
    expect(await unitStates(id)).toEqual(Array(6).fill('inactive'));
  };
  /** The last participant leaves; the room stops after its idle time. Returns how long that took. */
  const leaveAndWaitForIdleStop = async (close: () => Promise<void>) => {
    const left = Date.now();
    await close();
    await stoppedFor(roomId, 'idle', 60_000);
    return Date.now() - left;
  };
  /** Opens the link of the idle-stopped room: "Starting…" first, then playing. Returns ms to playing. */
  const wakeWith = async (name: string, viewport: { width: number; height: number }, shot: string, opts: { isMobile?: boolean } = {}) => {
    const opened = Date.now();
    const p = await enterRoom(browser.browser, link(roomId), name, viewport, opts);
    await p.page.locator('.overlay-card h2', { hasText: 'Starting…' }).waitFor({ timeout: 10_000 });
    await p.page.screenshot({ path: join(SHOTS, shot) });
    try {
      await p.page.waitForFunction(() => {
        const v = document.querySelector('video');
        return !!v && v.readyState >= 2 && v.currentTime > 0;
      }, null, { timeout: 60_000 });
    } catch (err) {
      // What the page shows and what the API says, to tell a slow start from a stuck page.
      const seen = await p.page.evaluate(() => ({ overlay: document.querySelector('.overlay-card')?.textContent ?? null, app: document.querySelector('#app')?.className, video: document.querySelector('video') ? { readyState: document.querySelector('video')!.readyState, t: document.querySelector('video')!.currentTime } : null }));
      await p.page.screenshot({ path: join(SHOTS, shot.replace('.png', '-failed.png')) });
      throw new Error(`not playing 60 s after the wake: page ${JSON.stringify(seen)}, room ${JSON.stringify((await room(roomId)).status)}, units ${await unitStates(roomId)}: ${(err as Error).message}`);
    }
    const ms = Date.now() - opened;
    await expectPlaying(p.page);
    // Once the page knows it plays, the "Starting…" card is gone.
    await p.page.waitForSelector('.room-app.playing', { timeout: 10_000 });
    expect(await p.page.locator('.overlay').isHidden()).toBe(true);
    await p.page.screenshot({ path: join(SHOTS, shot.replace('starting', 'playing')) });
    const path = shownPath(await statsText(p.page));
    expect(await unitStates(roomId)).toEqual(Array(6).fill('active'));
    expect((await room(roomId)).status).toMatchObject({ state: 'live', stopReason: null });
    return { p, ms, path };
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    participant = await createNetns('participant');
    browser = await launchInNetns(participant);
    // The admin on this machine (loopback HTTP is a secure context): not in any room.
    adminBrowser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const res = await booted.api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: 'Idle room', startUrl: booted.pages.url('/tone'), width: 1280, height: 720, idleStopMinutes: IDLE_MINUTES }) });
    expect(res.status).toBe(201);
    roomId = ((await res.json()) as { id: string }).id;
  }, 300_000);

  afterAll(async () => {
    await adminBrowser?.close();
    await browser?.close();
    await participant?.teardown();
  }, 60_000);

  it('keeps running while someone is in it, stops once the last one left (units inactive), and the dashboard says Stopped: idle', async () => {
    // At once: a room that takes longer than its idle time to start with nobody in it is stopped
    // (and Alice's page would wake it again).
    const alice = await enterRoom(browser.browser, link(roomId), 'Alice', DESKTOP);
    await eventually('the room to go live', () => room(roomId), (r) => r.status.state === 'live', 60_000);
    await expectPlaying(alice.page);
    // Longer than the idle time with Alice in the room: it runs on.
    await alice.page.waitForTimeout(IDLE_MINUTES * 60_000 + 5000);
    expect((await room(roomId)).status.state).toBe('live');
    expect(await unitStates(roomId)).toEqual(Array(6).fill('active'));
    const took = await leaveAndWaitForIdleStop(() => alice.context.close());
    console.log(`idle stop: units inactive ${took} ms after the last participant left (idle time ${IDLE_MINUTES * 60_000} ms)`);
    expect(took).toBeGreaterThanOrEqual(IDLE_MINUTES * 60_000 - 1000);

    const admin = await adminBrowser.newPage({ viewport: DESKTOP });
    await admin.goto(`${booted.appliance.baseUrl}/`);
    await admin.fill('#password', booted.appliance.adminPassword);
    await admin.click('button[type=submit]');
    const row = admin.locator('.room', { hasText: 'Idle room' });
    await row.locator('.state[data-state="stopped"]').waitFor({ timeout: 15_000 });
    expect(await row.locator('.room-state-line .state').textContent()).toBe('Stopped: idle');
    await admin.screenshot({ path: join(SHOTS, 'idle-e2e-dashboard-stopped-1366.png') });
    await admin.close();
  }, 180_000);

  it('opening the link starts it again: "Starting…", then the picture, at desktop and at phone size', async () => {
    const desktop = await wakeWith('Bob', DESKTOP, 'idle-e2e-starting-desktop-1366.png');
    console.log(`wake: desktop page playing ${desktop.ms} ms after opening the link (${desktop.path})`);
    await leaveAndWaitForIdleStop(() => desktop.p.context.close());
    const phone = await wakeWith('Cleo', PHONE, 'idle-e2e-starting-phone-390.png', { isMobile: true });
    console.log(`wake: phone page playing ${phone.ms} ms after opening the link (${phone.path})`);
    expect(Math.max(desktop.ms, phone.ms)).toBeLessThan(30_000);
    await phone.p.context.close();
    expect((await booted.api(`/api/rooms/${roomId}`, { method: 'DELETE' })).status).toBe(204);
  }, 240_000);

  it('warns the participant before the time limit, stops with reason time-limit, and a visitor does not start it again', async () => {
    const res = await booted.api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: 'Limited room', startUrl: booted.pages.url('/tone'), width: 1280, height: 720, idleStopMinutes: 0, maxDurationMinutes: 0.75 }) });
    const limited = ((await res.json()) as { id: string }).id;
    const endsAt = Date.parse((await room(limited)).session.endsAt!);
    const dana = await enterRoom(browser.browser, link(limited), 'Dana', DESKTOP);
    await expectPlaying(dana.page);
    // 45 s limit: the warning comes at half-time, with the seconds left.
    const notice = dana.page.locator('.notice', { hasText: /This room stops in \d+ s \(its time limit\)/ });
    await notice.waitFor({ timeout: 40_000 });
    expect(Date.now()).toBeLessThan(endsAt);
    await dana.page.screenshot({ path: join(SHOTS, 'idle-e2e-time-limit-warning-1366.png') });
    await stoppedFor(limited, 'time-limit', 60_000);
    await dana.page.locator('.overlay-card h2', { hasText: 'This room reached its time limit' }).waitFor({ timeout: 10_000 });
    await dana.page.screenshot({ path: join(SHOTS, 'idle-e2e-time-limit-stopped-1366.png') });
    // A visitor opening the link does not start it.
    const eve = await enterRoom(browser.browser, link(limited), 'Eve', PHONE, { isMobile: true });
    await eve.page.locator('.overlay-card h2', { hasText: 'This room reached its time limit' }).waitFor({ timeout: 10_000 });
    await eve.page.waitForTimeout(5000);
    expect((await room(limited)).status).toMatchObject({ state: 'stopped', stopReason: 'time-limit' });
    expect(await unitStates(limited)).toEqual(Array(6).fill('inactive'));
    await eve.context.close();
    await dana.context.close();
    await booted.api(`/api/rooms/${limited}`, { method: 'DELETE' });
  }, 180_000);
});
