/**
 * One room on the dashboard. Built once and updated in place on every poll, so its preview
 * keeps playing and its expanded details stay open.
 */
import { api, ApiError } from '../shared/api.js';
import { confirmDialog } from '../shared/dialog.js';
import { h, replaceChildren } from '../shared/dom.js';
import { absoluteTime, plural, relativeTime } from '../shared/format.js';
import { icon } from '../shared/icons.js';
import { failureSentence, ROLE_WORDS, stateLook } from '../shared/status.js';
import { toast } from '../shared/toast.js';
import type { MemberRole, Room } from '../shared/types.js';
import { Player } from '../player/player.js';
import { shareFacts, ShareButtons, type RoomLinks } from './shareLinks.js';
import { openPeopleDialog, openRoomPasswordDialog } from './roomAccess.js';
import { sessionFacts, sessionNote } from './sessionNote.js';
import { recordingsButton } from './recordings.js';
import { healthChips } from './roomHealth.js';
import { BrowserResetButton, keepLoginsBadge } from './browserReset.js';

export interface RowActions {
  refresh(): Promise<void>;
}

export function stateBadge(state: string, stopReason?: string | null): HTMLElement {
  const look = stateLook(state, stopReason);
  return h('span', { class: `state state-${look.tone}${look.busy ? ' busy' : ''}`, dataset: { state } }, h('span', { class: 'dot', 'aria-hidden': 'true' }), look.word + (look.busy ? '…' : ''));
}

export class RoomRow {
  readonly el: HTMLLIElement;
  private room: Room;
  private readonly preview: HTMLElement;
  private readonly previewLabel: HTMLElement;
  private readonly title: HTMLAnchorElement;
  private readonly stateLine: HTMLElement;
  private readonly failure: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly details: HTMLElement;
  private readonly detailsBtn: HTMLButtonElement;
  private readonly startStop: HTMLButtonElement;
  private readonly share: ShareButtons;
  private readonly reset: BrowserResetButton;
  private player: Player | null = null;
  private visible = true;
  private readonly observer: IntersectionObserver | null;

  constructor(room: Room, private readonly actions: RowActions) {
    this.room = room;
    const detailsId = `details-${room.id}`;
    this.previewLabel = h('div', { class: 'preview-label' });
    this.preview = h('a', { class: 'room-preview', href: room.shareUrl, target: '_blank', rel: 'noopener', tabindex: -1, 'aria-hidden': 'true' }, this.previewLabel);
    this.title = h('a', { class: 'room-name', href: room.shareUrl, target: '_blank', rel: 'noopener' }, room.name);
    this.stateLine = h('div', { class: 'room-state-line' });
    this.failure = h('p', { class: 'room-failure', hidden: true });
    this.meta = h('p', { class: 'room-meta' });
    this.details = h('div', { class: 'room-details', id: detailsId, hidden: true });
    this.detailsBtn = h('button', { type: 'button', class: 'btn btn-ghost btn-sm details-toggle', 'aria-expanded': 'false', 'aria-controls': detailsId }, h('span', { class: 'label-opt' }, 'Details'), icon('chevronDown', 16));
    this.detailsBtn.addEventListener('click', () => this.toggleDetails());
    this.share = new ShareButtons(room);
    this.reset = new BrowserResetButton(room, () => this.actions.refresh());
    this.startStop = h('button', { type: 'button', class: 'btn btn-sm btn-ghost' });
    this.startStop.addEventListener('click', () => this.toggleRunning());
    const del = h('button', { type: 'button', class: 'btn btn-sm btn-icon btn-ghost btn-quiet-danger', 'aria-label': `Delete ${room.name}`, title: 'Delete room' }, icon('trash', 16));
    del.addEventListener('click', () => this.confirmDelete());
    const people = h('button', { type: 'button', class: 'btn btn-sm btn-icon btn-ghost', 'aria-label': `People in ${room.name}`, title: 'People: remove someone', onclick: () => openPeopleDialog(this.room, () => this.actions.refresh()) }, icon('users', 16));
    const password = h('button', { type: 'button', class: 'btn btn-sm btn-icon btn-ghost', 'aria-label': `Password of ${room.name}`, title: 'Room password', onclick: () => openRoomPasswordDialog(this.room, () => this.actions.refresh()) }, icon('key', 16));

    this.el = h(
      'li',
      { class: 'room', dataset: { id: room.id } },
      this.preview,
      h('div', { class: 'room-main' }, h('h3', { class: 'room-title' }, this.title), this.stateLine, this.failure, this.meta),
      h(
        'div',
        { class: 'room-actions' },
        h('a', { class: 'btn btn-sm btn-primary', href: room.shareUrl, target: '_blank', rel: 'noopener' }, icon('external', 16), h('span', null, 'Open')),
        this.share.main,
        this.share.http,
        this.startStop,
        this.detailsBtn,
        people,
        password,
        recordingsButton(() => this.room),
        this.reset.el,
        del,
      ),
      this.details,
    );
    this.observer =
      'IntersectionObserver' in window
        ? new IntersectionObserver((entries) => {
            this.visible = entries.some((e) => e.isIntersecting);
            this.syncPreview();
          })
        : null;
    this.observer?.observe(this.preview);
    this.update(room);
  }

  update(room: Room): void {
    this.room = room;
    const { state } = room.status;
    this.el.dataset.state = state;
    this.title.textContent = room.name;
    this.title.href = room.shareUrl;
    this.share.update(room as RoomLinks);
    this.reset.update(room);

    const people = room.people
      ? [
          h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'),
          h('span', null, icon('users', 14), room.people.participants === 0 ? 'nobody here' : `${plural(room.people.participants, 'person', 'people')} here`),
          room.people.holder ? h('span', null, h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'), icon('pointer', 14), `${room.people.holder} driving`) : null,
        ]
      : [];
    const allowlist = room.config.urlAllowlist ?? [];
    replaceChildren(
      this.stateLine,
      stateBadge(state, room.status.stopReason),
      sessionNote(room, () => this.actions.refresh()),
      ...healthChips(room),
      room.config.hasPassword ? h('span', { class: 'lock', title: 'Needs a password to join' }, icon('lock', 14), 'Password') : null,
      keepLoginsBadge(room),
      allowlist.length > 0 ? h('span', { class: 'lock allowlist', title: `The browser opens only: ${allowlist.join(', ')}` }, icon('lock', 14), plural(allowlist.length, 'allowed site', 'allowed sites')) : null,
      ...people,
    );

    const failure = failureSentence(room);
    this.failure.hidden = !failure;
    if (failure) {
      const since = room.status.failure?.at && Date.parse(room.status.failure.at) > 0 ? ` Since ${relativeTime(room.status.failure.at)}.` : '';
      const next = state === 'restarting' ? ' systemd is restarting it.' : state === 'failed' ? ' Stop and start the room to try again.' : '';
      replaceChildren(this.failure, icon('alert', 15), h('span', null, failure + since + next));
    }

    let host = room.config.startUrl;
    try {
      host = new URL(room.config.startUrl).host;
    } catch {
      // keep the raw text
    }
    replaceChildren(
      this.meta,
      h('span', { title: room.config.startUrl }, host),
      h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'),
      // Spans, not bare text: on a phone the dots are hidden and bare texts would run together.
      h('span', null, `${room.config.width} × ${room.config.height}`),
      h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'),
      h('span', null, `${room.config.fps} fps`),
      h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'),
      h('time', { datetime: room.createdAt, title: absoluteTime(room.createdAt) }, `created ${relativeTime(room.createdAt)}`),
    );

    const running = room.status.desiredState === 'running';
    this.startStop.hidden = state === 'deleting';
    this.startStop.replaceChildren(icon(running ? 'stop' : 'play', 15), h('span', { class: 'label-opt' }, running ? 'Stop' : 'Start'));
    this.startStop.setAttribute('aria-label', `${running ? 'Stop' : 'Start'} ${room.name}`);

    const look = stateLook(state, room.status.stopReason);
    replaceChildren(
      this.previewLabel,
      state === 'live' ? null : look.busy ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : icon(state === 'failed' ? 'alert' : 'monitor', 22),
      state === 'live' ? null : h('span', null, state === 'failed' ? 'No picture' : state === 'stopped' ? look.word : `${look.word}…`),
    );
    if (!this.details.hidden) this.renderDetails();
    this.syncPreview();
  }

  destroy(): void {
    this.observer?.disconnect();
    this.player?.stop();
    this.player = null;
    this.el.remove();
  }

  /** A live room shows a small muted live picture while it is on screen and the page is visible. */
  syncPreview(): void {
    const want = this.room.status.state === 'live' && this.visible && document.visibilityState === 'visible';
    if (want && !this.player) {
      this.player = new Player(this.preview, {
        muted: true,
        preview: true,
        onState: (s) => this.preview.classList.toggle('playing', s === 'playing'),
      });
      // Previews take the cacheable audience path and leave the fast seats to participants.
      this.player.load(this.room.stream.web.filter((s) => s.kind === 'hls'));
    } else if (!want && this.player) {
      this.player.stop();
      this.player = null;
      this.preview.classList.remove('playing');
    }
  }

  private toggleDetails(): void {
    const open = this.details.hidden;
    this.details.hidden = !open;
    this.detailsBtn.setAttribute('aria-expanded', String(open));
    this.el.classList.toggle('expanded', open);
    if (open) this.renderDetails();
  }

  private renderDetails(): void {
    const r = this.room;
    const members = r.status.members;
    const rows = members
      ? (Object.keys(ROLE_WORDS) as MemberRole[]).map((role) => {
          const m = members[role];
          return h(
            'tr',
            null,
            h('th', { scope: 'row' }, ROLE_WORDS[role].name, h('span', { class: 'what' }, ROLE_WORDS[role].what)),
            h('td', null, stateBadge(m.state)),
            h('td', { class: 'mono unit' }, m.unit),
            h('td', { class: 'since' }, m.since ? relativeTime(m.since) : '—'),
            h('td', { class: 'num' }, m.restarts === null ? '—' : String(m.restarts)),
          );
        })
      : [];
    replaceChildren(
      this.details,
      members
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'members' },
              h('caption', { class: 'visually-hidden' }, `Parts of ${r.name}`),
              h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Part'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Unit'), h('th', { scope: 'col' }, 'Since'), h('th', { scope: 'col', class: 'num' }, 'Restarts'))),
              h('tbody', null, ...rows),
            ),
          )
        : h('p', { class: 'muted' }, r.status.detail ?? 'The parts of this room cannot be listed right now.'),
      h(
        'dl',
        { class: 'facts' },
        shareFacts(r as RoomLinks),
        h('dt', null, 'RTMP (for external players)'),
        h('dd', { class: 'mono' }, r.stream.rtmp),
        h('dt', null, 'Start page'),
        h('dd', { class: 'mono' }, r.config.startUrl),
        h('dt', null, 'Allowed sites'),
        r.config.urlAllowlist && r.config.urlAllowlist.length > 0
          ? h('dd', { class: 'mono allowlist' }, ...r.config.urlAllowlist.map((p) => h('div', null, p)))
          : h('dd', null, 'Any web page (no allowlist)'),
        h('dt', null, 'Video'),
        h('dd', null, `${r.config.width} × ${r.config.height}, ${r.config.fps} fps, ${(r.config.videoBitrateKbps / 1000).toLocaleString(undefined, { maximumFractionDigits: 1 })} Mbit/s`),
        ...sessionFacts(r),
        h('dt', null, 'Created'),
        h('dd', null, absoluteTime(r.createdAt)),
      ),
    );
  }

  private async toggleRunning(): Promise<void> {
    const running = this.room.status.desiredState === 'running';
    this.startStop.disabled = true;
    try {
      await api('POST', `/api/rooms/${this.room.id}/${running ? 'stop' : 'start'}`);
      await this.actions.refresh();
    } catch (err) {
      toast(`Could not ${running ? 'stop' : 'start'} “${this.room.name}”: ${(err as ApiError).message}`, { tone: 'danger', icon: 'alert', ms: 6000 });
    } finally {
      this.startStop.disabled = false;
    }
  }

  private async confirmDelete(): Promise<void> {
    const room = this.room;
    const deleted = await confirmDialog({
      title: `Delete “${room.name}”?`,
      body: [
        h('p', null, 'The room’s browser closes for everyone watching, and its link stops working.'),
        h('p', { class: 'muted' }, 'This cannot be undone.'),
      ],
      confirm: 'Delete room',
      danger: true,
      run: async () => {
        try {
          await api('DELETE', `/api/rooms/${room.id}`);
        } catch (err) {
          const e = err as ApiError;
          if (e.status === 404) return; // already gone
          if (e.status === 503) throw new Error('systemd could not be reached. The room stays in “deleting”; try again in a moment.');
          throw err;
        }
      },
    });
    if (deleted) {
      this.el.classList.add('leaving');
      toast(`Deleted “${room.name}”.`, { icon: 'check', tone: 'ok' });
      await this.actions.refresh();
    }
  }
}
