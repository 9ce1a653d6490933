/**
 * Recording from the room page, in real browsers on another host (a network namespace, plain
 * HTTP to this machine's address) against the booted appliance: the driver (desktop) sees the
 * record button and starts recording; the other participant (a phone) has no such button and
 * sees the "REC" indicator with the time running; the admin's list shows the recording going;
 * the driver stops, the indicator goes away on both pages, and the file is listed with both
 * tracks. Screenshots of the indicator at desktop and phone size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchInNetns, type ParticipantBrowser } from '../harness/browser.js';
import { REPO_ROOT } from '../harness/container.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { HTTP_PORT } from '../support/applianceTls.js';
import { useBootedAppliance } from '../support/bootedAppliance.js';
import { eventually } from '../support/eventually.js';
import { enterRoom, expectPlaying, type Participant } from '../support/roomPage.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

describe('recording from the room page, two participants on another host', () => {
  const booted = useBootedAppliance(HTTP_PORT);
  let participant: Netns;
  let browser: ParticipantBrowser;
  let alice: Participant;
  let bob: Participant;
  let roomId = '';
  const recordings = async () => (await (await booted.api(`/api/rooms/${roomId}/recordings`)).json()) as { recording: { active: boolean }; recordings: Array<{ id: string; active: boolean; tracks: string[]; durationSeconds: number | null }> };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    participant = await createNetns('participant');
    browser = await launchInNetns(participant);
    const res = await booted.api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: 'Recorded room', startUrl: booted.pages.url('/tone'), width: 1280, height: 720 }) });
    roomId = ((await res.json()) as { id: string }).id;
    await eventually('the room to be live', async () => (await (await booted.api(`/api/rooms/${roomId}`)).json()).status.state, (s) => s === 'live', 60_000, 500);
    const url = `http://${participant.hostAddress}:${HTTP_PORT}/rooms/${roomId}`;
    alice = await enterRoom(browser.browser, url, 'Alice', { width: 1280, height: 800 });
    await alice.page.waitForSelector('.room-app.driving', { timeout: 30_000 });
    bob = await enterRoom(browser.browser, url, 'Bob', { width: 390, height: 844 }, { isMobile: true });
    await bob.page.waitForSelector('.control-btn');
    await Promise.all([expectPlaying(alice.page), expectPlaying(bob.page)]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await participant?.teardown();
  }, 60_000);

  it('only the driver has the record button; the driver starts, and the other participant sees REC with the time running', async () => {
    expect(await alice.page.locator('.rec-btn').isHidden()).toBe(false);
    expect(await bob.page.locator('.rec-btn').isHidden()).toBe(true);
    expect(await bob.page.locator('.rec-indicator').isHidden()).toBe(true);

    await alice.page.locator('.rec-btn').dispatchEvent('click'); // the bar may be hidden
    await bob.page.locator('.rec-indicator:not([hidden])').waitFor({ timeout: 10_000 });
    await alice.page.locator('.rec-indicator:not([hidden])').waitFor({ timeout: 10_000 });
    expect(await bob.page.locator('.rec-label').textContent()).toBe('REC');
    expect((await recordings()).recording.active).toBe(true);
    const first = await bob.page.locator('.rec-time').textContent();
    await bob.page.waitForTimeout(3200);
    const later = await bob.page.locator('.rec-time').textContent();
    expect(first).toMatch(/^0:0\d$/);
    expect(later, 'the time runs').not.toBe(first);
    // Seen with the bar away on the phone (the indicator does not hide with it) and with it on the desktop.
    await bob.page.screenshot({ path: join(SHOTS, 'recording-e2e-phone-390.png') });
    await alice.page.mouse.move(640, 700);
    await alice.page.waitForTimeout(300);
    await alice.page.screenshot({ path: join(SHOTS, 'recording-e2e-desktop-1280.png') });
    expect(await alice.page.locator('.rec-btn').getAttribute('aria-label')).toBe('Stop recording');
  }, 60_000);

  it('a viewer who joins later sees it at once; the driver stops, the indicator goes on both pages, and the file has both tracks', async () => {
    const carol = await enterRoom(browser.browser, `http://${participant.hostAddress}:${HTTP_PORT}/rooms/${roomId}`, 'Carol', { width: 1024, height: 700 });
    await carol.page.locator('.rec-indicator:not([hidden])').waitFor({ timeout: 10_000 });
    await carol.page.close();

    await alice.page.locator('.rec-btn').dispatchEvent('click');
    await bob.page.locator('.rec-indicator').waitFor({ state: 'hidden', timeout: 10_000 });
    await alice.page.locator('.rec-indicator').waitFor({ state: 'hidden', timeout: 10_000 });
    const list = await eventually('the recording listed as finished', recordings, (l) => !l.recording.active && l.recordings.length === 1, 10_000);
    expect(list.recordings[0]).toMatchObject({ active: false, tracks: ['video', 'audio'] });
    expect(list.recordings[0]!.durationSeconds).toBeGreaterThan(3);
    expect((await booted.api(`/api/rooms/${roomId}`, { method: 'DELETE' })).status).toBe(204);
  }, 60_000);
});
