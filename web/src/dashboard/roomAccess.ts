/**
 * Who may be in a room: the people in it (remove someone: DELETE /api/rooms/:id/participants/:pid)
 * and its password (PUT /api/rooms/:id/password: set, change, or remove). Both end access the
 * server then revokes: a removed person's grant, or every grant when the password changes.
 */
import { api, ApiError } from '../shared/api.js';
import { openDialog } from '../shared/dialog.js';
import { h, replaceChildren } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import { toast } from '../shared/toast.js';
import type { Room } from '../shared/types.js';

const PASSWORD_MIN = 8; // server/http/schemas.ts LIMITS.passwordMin

interface Person {
  id: string;
  name: string;
  isAdmin: boolean;
  holder: boolean;
}

export function openPeopleDialog(room: Room, refresh: () => Promise<void>): void {
  const list = h('ul', { class: 'people-list' });
  const note = h('p', { class: 'hint dialog-note' }, room.config.hasPassword
    ? 'A removed person needs the room password to come back.'
    : 'This room is open: a removed person can come back with the link. Set a password to keep them out.');
  const load = async () => {
    try {
      const { participants } = await api<{ participants: Person[] }>('GET', `/api/rooms/${room.id}/participants`);
      replaceChildren(
        list,
        ...(participants.length === 0 ? [h('li', { class: 'muted' }, 'Nobody is in this room.')] : []),
        ...participants.map((p) =>
          h(
            'li',
            null,
            h('span', { class: 'person-name' }, p.name, p.isAdmin ? h('span', { class: 'muted' }, ' (admin)') : null, p.holder ? h('span', { class: 'muted' }, ' · driving') : null),
            p.isAdmin ? null : h('button', { type: 'button', class: 'btn btn-sm btn-quiet-danger', onclick: () => void remove(p) }, icon('x', 14), `Remove`),
          ),
        ),
      );
    } catch (err) {
      replaceChildren(list, h('li', { class: 'form-error' }, (err as Error).message));
    }
  };
  const remove = async (p: Person) => {
    try {
      await api('DELETE', `/api/rooms/${room.id}/participants/${encodeURIComponent(p.id)}`);
      toast(`${p.name} was removed`, { icon: 'check', tone: 'ok' });
    } catch (err) {
      toast((err as ApiError).message, { icon: 'alert', tone: 'danger' });
    }
    await load();
    await refresh();
  };
  const close = h('button', { type: 'button', class: 'btn' }, 'Close');
  const dlg = openDialog({ title: `People in ${room.name}`, body: [list, note], actions: [close] });
  close.addEventListener('click', () => dlg.close());
  void load();
}

export function openRoomPasswordDialog(room: Room, refresh: () => Promise<void>): void {
  const input = h('input', { class: 'input', id: 'room-pw', type: 'password', autocomplete: 'new-password', 'aria-describedby': 'room-pw-msg' });
  const msg = h('div', { id: 'room-pw-msg' }, h('p', { class: 'hint' }, `At least ${PASSWORD_MIN} characters. Everyone in the room but you must then give it; links and earlier joins stop working.`));
  const formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', form: 'room-pw-form' }, room.config.hasPassword ? 'Change password' : 'Set password');
  const removeBtn = room.config.hasPassword ? h('button', { type: 'button', class: 'btn btn-quiet-danger' }, 'Remove password') : null;
  const send = async (password: string | null) => {
    formError.hidden = true;
    try {
      await api('PUT', `/api/rooms/${room.id}/password`, { password });
      dlg.close();
      toast(password === null ? `${room.name} is open: anyone with the link can join` : `${room.name}'s password changed; everyone else must give it`, { icon: password === null ? 'info' : 'lock', tone: 'ok' });
      await refresh();
    } catch (err) {
      const e = err as ApiError;
      formError.hidden = false;
      formError.replaceChildren(icon('alert', 16), h('span', null, e.field === 'password' ? e.fieldMessage : e.message));
    }
  };
  const form = h(
    'form',
    {
      id: 'room-pw-form',
      novalidate: true,
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        if (input.value.length < PASSWORD_MIN) {
          formError.hidden = false;
          return void formError.replaceChildren(icon('alert', 16), h('span', null, `Use at least ${PASSWORD_MIN} characters.`));
        }
        void send(input.value);
      },
    },
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'room-pw' }, 'New room password'), input, msg),
    formError,
  );
  removeBtn?.addEventListener('click', () => void send(null));
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const dlg = openDialog({ title: `Password for ${room.name}`, body: [form], actions: [cancel, ...(removeBtn ? [removeBtn] : []), save] });
  cancel.addEventListener('click', () => dlg.close());
  input.focus();
}
