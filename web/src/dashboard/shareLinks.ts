/**
 * "Copy link" for a room, saying which link it copies: the https one, and in the appliance-CA
 * mode the plain-HTTP one too (for people who did not trust the appliance's CA).
 */
import { copyText } from '../shared/clipboard.js';
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import type { Room } from '../shared/types.js';
import { toast } from '../shared/toast.js';

/** The room view's share links per scheme (server/http/views.ts). */
export type RoomLinks = Room & { shareUrls?: { https: string | null; http: string | null } };

export const HTTP_LINK_NOTE = 'Plain HTTP: no certificate warning; a little slower.';

function flash(btn: HTMLButtonElement, ok: boolean, label: () => Node[]): void {
  const span = btn.querySelector('span.copy-label')!;
  btn.replaceChildren(icon(ok ? 'check' : 'alert', 16), span);
  span.replaceChildren(ok ? 'Copied' : 'Copy failed');
  btn.classList.toggle('copied', ok);
  window.setTimeout(() => {
    btn.replaceChildren(icon('link', 16), span);
    span.replaceChildren(...label());
    btn.classList.remove('copied');
  }, 2000);
}

/** "Copy https link"; narrow screens drop the verb ("https link"). */
const words = (scheme: string | null): Node[] => [h('span', { class: 'copy-verb' }, 'Copy '), document.createTextNode(scheme ? `${scheme} link` : 'link')];

export class ShareButtons {
  readonly main: HTMLButtonElement;
  readonly http: HTMLButtonElement;
  private room: RoomLinks;

  constructor(room: RoomLinks) {
    this.room = room;
    this.main = h('button', { type: 'button', class: 'btn btn-sm copy-link' }, icon('link', 16), h('span', { class: 'copy-label' }));
    this.main.addEventListener('click', async () => flash(this.main, await copyText(this.room.shareUrl), () => this.mainLabel()));
    this.http = h('button', { type: 'button', class: 'btn btn-sm btn-ghost copy-link-http', hidden: true, title: HTTP_LINK_NOTE }, icon('link', 16), h('span', { class: 'copy-label' }, ...words('HTTP')));
    this.http.addEventListener('click', async () => {
      const url = this.room.shareUrls?.http;
      if (!url) return;
      const ok = await copyText(url);
      flash(this.http, ok, () => words('HTTP'));
      if (ok) toast(`Copied the plain-HTTP link. ${HTTP_LINK_NOTE.replace(/^Plain HTTP: n/, 'N')}`, { icon: 'link', ms: 5000 });
    });
    this.update(room);
  }

  private mainLabel(): Node[] {
    return words(this.room.shareUrl.startsWith('https:') ? 'https' : null);
  }

  update(room: RoomLinks): void {
    this.room = room;
    if (!this.main.classList.contains('copied')) this.main.querySelector('span.copy-label')!.replaceChildren(...this.mainLabel());
    this.main.title = `Copies ${room.shareUrl}`;
    const http = room.shareUrls?.http ?? null;
    this.http.hidden = !http || http === room.shareUrl;
    this.http.setAttribute('aria-label', `Copy the plain-HTTP link: ${HTTP_LINK_NOTE}`);
  }
}

/** The share links for the details list: the https link, and the plain-HTTP one with its note. */
export function shareFacts(room: RoomLinks): HTMLElement[] {
  const http = room.shareUrls?.http;
  const facts = [h('dt', null, room.shareUrl.startsWith('https:') ? 'Share link (https)' : 'Share link'), h('dd', { class: 'mono' }, room.shareUrl)];
  if (http && http !== room.shareUrl) {
    const copy = h('button', { type: 'button', class: 'btn btn-ghost btn-sm fact-copy', onclick: async () => toast((await copyText(http)) ? 'Copied the plain-HTTP link.' : 'Copy failed.', { icon: 'link' }) }, icon('copy', 14), 'Copy');
    facts.push(h('dt', null, 'Plain-HTTP link'), h('dd', null, h('span', { class: 'mono' }, http), copy, h('span', { class: 'muted fact-note' }, HTTP_LINK_NOTE)));
  }
  return facts;
}
