/** The dashboard (/): admin sign-in, then the rooms with live updates. */
import '../shared/base.css';
import './dashboard.css';
import { api, type ApiError } from '../shared/api.js';
import { $, h, replaceChildren } from '../shared/dom.js';
import { icon, logo } from '../shared/icons.js';
import { toast } from '../shared/toast.js';
import { copyText } from '../shared/clipboard.js';
import type { Room } from '../shared/types.js';
import { loginView } from './login.js';
import { openNewRoomDialog } from './newRoom.js';
import { openPasswordDialog } from './password.js';
import { RoomRow } from './roomRow.js';
import { watchRooms, type RoomFeed } from './feed.js';
import { fallbackNotice, loadTls, trustPanel } from './tls.js';

const app = $('#app');
let feed: RoomFeed | null = null;
let previewsOnVisibility: (() => void) | null = null;

async function boot(): Promise<void> {
  try {
    const session = await api<{ authenticated: boolean }>('GET', '/api/auth/session');
    if (session.authenticated) showRooms();
    else showLogin();
  } catch (err) {
    replaceChildren(app, h('div', { class: 'login-page' }, h('div', { class: 'form-error' }, icon('alert', 16), h('span', null, `The admin service does not answer (${(err as ApiError).message}). Reload to try again.`))));
  }
}

function showLogin(note?: string): void {
  feed?.stop();
  feed = null;
  document.title = 'Sign in · streambox';
  replaceChildren(app, loginView({ ...(note ? { note } : {}), onSignedIn: showRooms }));
}

function showRooms(): void {
  document.title = 'Rooms · streambox';
  const rows = new Map<string, RoomRow>();
  const list = h('ul', { class: 'room-list', 'aria-label': 'Rooms' });
  const count = h('span', { class: 'count', hidden: true });
  const banner = h('div', { class: 'banner banner-warn', role: 'status', hidden: true });
  // The certificate: a notice when a configured one failed, the trust panel for the appliance CA.
  const tlsSlot = h('div', { class: 'tls-slot' });
  void loadTls().then((tls) => {
    if (tls) replaceChildren(tlsSlot, fallbackNotice(tls), trustPanel(tls));
  });
  const newRoom = () =>
    openNewRoomDialog(async (room) => {
      await feed?.refresh();
      const row = rows.get(room.id);
      row?.el.classList.add('fresh');
      row?.el.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      toast(h('span', null, 'Created “', h('strong', null, room.name), '”. It is starting.'), {
        icon: 'check',
        tone: 'ok',
        ms: 7000,
        actions: [h('button', { type: 'button', class: 'btn btn-sm', onclick: async () => toast((await copyText(room.shareUrl)) ? 'Link copied.' : 'Copy failed.', { icon: 'link' }) }, 'Copy link')],
      });
    });
  const empty = h(
    'div',
    { class: 'empty', hidden: true },
    h('div', { class: 'empty-art', 'aria-hidden': 'true' }, icon('monitor', 34)),
    h('h2', null, 'No rooms yet'),
    h('p', null, 'A room is a browser that people watch together while one of them drives. Create one and share its link.'),
    h('button', { type: 'button', class: 'btn btn-primary', onclick: newRoom }, icon('plus', 18), 'New room'),
  );
  const loading = h('div', { class: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading rooms…');
  const headNew = h('button', { type: 'button', class: 'btn btn-primary', hidden: true, onclick: newRoom }, icon('plus', 18), 'New room');

  replaceChildren(
    app,
    h(
      'header',
      { class: 'topbar' },
      h('a', { class: 'brand', href: '/' }, logo(28), h('span', null, 'streambox')),
      h(
        'nav',
        { class: 'topbar-actions', 'aria-label': 'Account' },
        h('button', { type: 'button', class: 'btn btn-ghost btn-sm', onclick: () => openPasswordDialog(() => showLogin('Password changed. Sign in with the new one.')) }, icon('key', 16), h('span', { class: 'hide-narrow' }, 'Change password')),
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-ghost btn-sm',
            onclick: async () => {
              await api('POST', '/api/auth/logout').catch(() => undefined);
              showLogin('Signed out.');
            },
          },
          icon('logout', 16),
          h('span', null, 'Log out'),
        ),
      ),
    ),
    h(
      'main',
      { class: 'container' },
      h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'Rooms', count), h('p', { class: 'muted' }, 'Shared browsers: everyone watches, one person at a time drives.')), headNew),
      tlsSlot,
      banner,
      loading,
      empty,
      list,
    ),
  );

  const render = (rooms: Room[]) => {
    banner.hidden = true;
    loading.hidden = true;
    const sorted = [...rooms].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const seen = new Set<string>();
    sorted.forEach((room, i) => {
      seen.add(room.id);
      let row = rows.get(room.id);
      if (row) row.update(room);
      else {
        row = new RoomRow(room, { refresh: () => feed?.refresh() ?? Promise.resolve() });
        rows.set(room.id, row);
      }
      if (list.children[i] !== row.el) list.insertBefore(row.el, list.children[i] ?? null);
    });
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.destroy();
        rows.delete(id);
      }
    }
    empty.hidden = rooms.length > 0;
    headNew.hidden = rooms.length === 0;
    count.hidden = rooms.length === 0;
    count.textContent = String(rooms.length);
  };

  feed?.stop();
  feed = watchRooms(render, (err) => {
    if (err.status === 401) return showLogin('Your session ended. Sign in again.');
    loading.hidden = true;
    banner.hidden = false;
    replaceChildren(banner, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, err.status === 0 ? 'Cannot reach the admin service. Retrying…' : `The room list could not be loaded: ${err.message}. Retrying…`));
  });
  if (previewsOnVisibility) document.removeEventListener('visibilitychange', previewsOnVisibility);
  previewsOnVisibility = () => rows.forEach((r) => r.syncPreview());
  document.addEventListener('visibilitychange', previewsOnVisibility);
}

void boot();
