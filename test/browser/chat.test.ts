/**
 * The room chat in real browsers on another host (a network namespace, plain HTTP to this
 * machine's address) against the booted appliance: two participants (a desktop driver and a
 * phone viewer whose name is markup) see each other's messages, the unread badge, names and text
 * shown as text, links that open outside the session; typing in the chat never reaches the
 * session, even when control (and noVNC) arrives while the chat field has the focus; the rate
 * limit is shown in the panel; the driver clears the chat. Screenshots at desktop and phone size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchInNetns, type ParticipantBrowser } from '../harness/browser.js';
import { REPO_ROOT } from '../harness/container.js';
import { createNetns, type Netns } from '../harness/netns.js';
import { HTTP_PORT } from '../support/applianceTls.js';
import { useBootedAppliance } from '../support/bootedAppliance.js';
import { eventually } from '../support/eventually.js';
import { enterRoom, expectPlaying, onScreen, type Participant } from '../support/roomPage.js';
import { INPUT_FIELD } from '../support/pageServer.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const EVIL = '<img src=x onerror="window.__pwned=1">';

describe('the room chat, two participants on another host', () => {
  const booted = useBootedAppliance(HTTP_PORT);
  let participant: Netns;
  let browser: ParticipantBrowser;
  let alice: Participant;
  let bob: Participant;
  const tag = `chat-${Date.now()}`;
  const sessionTexts = () => booted.pages.reports(tag).filter((e) => e.type === 'text').map((e) => String(e.value));
  const openChat = (p: Page) => p.locator('.chat-btn').dispatchEvent('click'); // the bar may be hidden
  const send = async (p: Page, text: string) => {
    await p.locator('.chat-field').fill(text);
    await p.locator('.chat-field').press('Enter');
  };
  const messages = (p: Page) => p.locator('.chat-message .chat-text').allTextContents();

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    participant = await createNetns('participant');
    browser = await launchInNetns(participant);
    const res = await booted.api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: 'Chat room', startUrl: booted.pages.url(`/input?tag=${tag}`) }) });
    const roomId = ((await res.json()) as { id: string }).id;
    await eventually('the input page to load in the room', async () => booted.pages.reports(tag), (r) => r.some((e) => e.type === 'loaded'), 30_000);
    const url = `http://${participant.hostAddress}:${HTTP_PORT}/rooms/${roomId}`;
    alice = await enterRoom(browser.browser, url, 'Alice', { width: 1280, height: 800 });
    await alice.page.waitForSelector('.room-app.driving.input-on', { timeout: 30_000 });
    bob = await enterRoom(browser.browser, url, EVIL, { width: 390, height: 844 }, { isMobile: true });
    await bob.page.waitForSelector('.control-btn');
    await Promise.all([expectPlaying(alice.page), expectPlaying(bob.page)]);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await participant?.teardown();
  }, 60_000);

  it('a message reaches the other participant: unread badge while closed, then the text with the sender and a link that opens outside', async () => {
    await openChat(alice.page);
    await send(alice.page, 'Hello Bob, the notes are at https://example.org/notes.');
    await bob.page.locator('.chat-badge:not([hidden])').waitFor({ timeout: 10_000 });
    expect(await bob.page.locator('.chat-badge').textContent()).toBe('1');
    if (await bob.page.locator('.dock.hidden').count()) await bob.page.tap('.stage'); // a tap brings the bar (and the badge) back
    await bob.page.waitForTimeout(300);
    await bob.page.screenshot({ path: join(SHOTS, 'chat-e2e-phone-unread-390.png') });

    await openChat(bob.page);
    expect(await messages(bob.page)).toEqual(['Hello Bob, the notes are at https://example.org/notes.']);
    expect(await bob.page.locator('.chat-message .chat-name').first().textContent()).toBe('Alice');
    const link = bob.page.locator('.chat-text a');
    expect(await link.evaluate((a: HTMLAnchorElement) => ({ href: a.href, target: a.target, rel: a.rel }))).toEqual({ href: 'https://example.org/notes', target: '_blank', rel: 'noopener noreferrer' });
    expect(await bob.page.locator('.chat-badge').isHidden()).toBe(true);
  }, 60_000);

  it("shows a viewer's name and text that are markup as text, on the other page", async () => {
    await send(bob.page, '<b>bold?</b> <script>window.__pwned=2</script>');
    await eventually("Bob's message on Alice's page", () => messages(alice.page), (m) => m.length === 2, 10_000);
    expect((await messages(alice.page))[1]).toBe('<b>bold?</b> <script>window.__pwned=2</script>');
    const names = await alice.page.locator('.chat-message .chat-name').allTextContents();
    expect(names[1]).toBe(EVIL);
    expect(await alice.page.locator('.chat-notice > span').allTextContents()).toContain(`${EVIL} joined`);
    expect(await alice.page.evaluate(() => ({ pwned: (window as unknown as { __pwned?: number }).__pwned ?? null, tags: document.querySelectorAll('.chat-panel img, .chat-panel script, .chat-panel b').length }))).toEqual({ pwned: null, tags: 0 });
    await alice.page.screenshot({ path: join(SHOTS, 'chat-e2e-desktop-open-1280.png') });
    await bob.page.screenshot({ path: join(SHOTS, 'chat-e2e-phone-open-390.png') });
  }, 60_000);

  it('typing in the chat never reaches the session, also when control arrives while the chat field has the focus', async () => {
    const before = sessionTexts().length;
    if (await alice.page.locator('.chat-panel').isHidden()) await openChat(alice.page); // run alone (-t)
    await alice.page.locator('.chat-field').click();
    await alice.page.keyboard.type('not for the session');
    await alice.page.keyboard.press('Enter');
    // Control goes and comes back while the field keeps the focus (noVNC reconnects: it used to grab the focus).
    await alice.page.locator('.control-btn').dispatchEvent('click'); // Release
    await alice.page.waitForSelector('.room-app:not(.driving)', { timeout: 10_000 });
    await alice.page.locator('.control-btn').dispatchEvent('click'); // Take control (nobody drives)
    await alice.page.waitForSelector('.room-app.driving.input-on', { timeout: 20_000 });
    expect(await alice.page.evaluate(() => document.activeElement?.classList.contains('chat-field'))).toBe(true);
    await alice.page.keyboard.type('still not');
    await alice.page.keyboard.press('Enter');
    await eventually("Alice's messages on Bob's page", () => messages(bob.page), (m) => m.includes('still not'), 10_000);
    // The same keyboard does reach the session once the picture has the focus: this test can fail.
    const field = await onScreen(alice.page, INPUT_FIELD.left + 40, INPUT_FIELD.top + INPUT_FIELD.height / 2);
    await alice.page.mouse.click(field.x, field.y);
    await alice.page.keyboard.type('zq');
    await eventually('the typing in the session', async () => sessionTexts(), (t) => t.some((v) => v.includes('zq')), 10_000);
    const typed = sessionTexts().slice(before);
    expect(typed.filter((v) => /not for|still|session/.test(v))).toEqual([]);
  }, 90_000);

  it('shows the rate limit in the panel and keeps the text; only the driver sees Clear, and clearing empties everyone’s chat', async () => {
    // Past the burst of 5 the next is refused, unless a token came back meanwhile (one every 2 s:
    // on a busy machine six sends can take that long), so send until the panel says no.
    const error = bob.page.locator('.chat-error:not([hidden])');
    for (let i = 1; i <= 12 && !(await error.isVisible()); i++) await send(bob.page, `burst ${i}`);
    await error.waitFor({ timeout: 10_000 });
    expect(await bob.page.locator('.chat-error').textContent()).toMatch(/too many messages: at most 5 in a row/);
    // The refused text is put back (the last one sent, or an earlier refusal's if it came later).
    await eventually('the refused text back in the field', () => bob.page.locator('.chat-field').inputValue(), (v) => /^burst \d+$/.test(v), 10_000);
    expect(await bob.page.locator('.chat-clear').isHidden()).toBe(true);
    expect(await alice.page.locator('.chat-clear').isVisible()).toBe(true);
    await alice.page.locator('.chat-clear').click();
    await eventually("the clear on Bob's page", () => bob.page.locator('.chat-list li').allTextContents(), (t) => t.length === 1 && t[0]!.startsWith('Alice cleared the chat'), 10_000);
    expect(await messages(alice.page)).toEqual([]);
  }, 60_000);
});
