/**
 * "Reset browser" on a dashboard row (issue 14, keep logins): a button, shown only for rooms
 * that keep logins, and its confirm dialog. The reset (POST /api/rooms/ID/browser/reset) stops
 * the room, removes its browser's profile and starts it again; while it runs, the room's status
 * says so (status.resettingBrowser) on every dashboard, and the button waits.
 */
import { api, ApiError } from '../shared/api.js';
import { confirmDialog } from '../shared/dialog.js';
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import { toast } from '../shared/toast.js';
import type { Room } from '../shared/types.js';

export class BrowserResetButton {
  readonly el: HTMLButtonElement;
  private room: Room;

  constructor(room: Room, private readonly refresh: () => Promise<void>) {
    this.room = room;
    this.el = h('button', { type: 'button', class: 'btn btn-sm btn-icon btn-ghost', title: 'Reset browser: forget its logins' }, icon('refresh', 16));
    this.el.addEventListener('click', () => void this.confirm());
    this.update(room);
  }

  update(room: Room): void {
    this.room = room;
    this.el.hidden = !room.config.keepLogins || room.status.state === 'deleting';
    this.el.disabled = room.status.resettingBrowser === true;
    this.el.setAttribute('aria-label', `Reset the browser of ${room.name}`);
  }

  private async confirm(): Promise<void> {
    const room = this.room;
    const done = await confirmDialog({
      title: `Reset the browser of “${room.name}”?`,
      body: [
        h('p', null, 'Its cookies, logins and site data are removed: every site in the room forgets who was logged in.'),
        h('p', { class: 'muted' }, room.status.desiredState === 'running' ? 'The room restarts: everyone watching sees it start again within a few seconds, at its start page.' : 'The room stays stopped; its browser starts with a fresh profile next time.'),
      ],
      confirm: 'Reset browser',
      danger: true,
      run: async () => {
        try {
          await api('POST', `/api/rooms/${room.id}/browser/reset`);
        } catch (err) {
          const e = err as ApiError;
          if (e.status === 503) throw new Error('systemd could not be reached. Nothing was removed; try again in a moment.');
          throw err;
        }
      },
    });
    if (done) {
      toast(`The browser of “${room.name}” starts fresh: its logins are gone.`, { icon: 'check', tone: 'ok' });
      await this.refresh();
    }
  }
}

/** The row's note while a reset runs, and the "Keeps logins" mark otherwise. */
export function keepLoginsBadge(room: Room): HTMLElement | null {
  if (room.status.resettingBrowser) return h('span', { class: 'lock resetting' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Resetting browser…');
  if (!room.config.keepLogins) return null;
  return h('span', { class: 'lock', title: 'The room’s browser keeps its cookies and logins across restarts (Reset browser forgets them)' }, icon('key', 14), 'Keeps logins');
}
