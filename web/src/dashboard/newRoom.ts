/** The "New room" dialog (POST /api/rooms). Server errors appear beside the field they name. */
import { api, ApiError } from '../shared/api.js';
import { openDialog } from '../shared/dialog.js';
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';
import type { Room } from '../shared/types.js';
import { capacityNote } from './capacityNote.js';

const RESOLUTIONS = [
  { id: '1080', label: '1080p', detail: '1920 × 1080', width: 1920, height: 1080 },
  { id: '720', label: '720p', detail: '1280 × 720', width: 1280, height: 720 },
  { id: 'custom', label: 'Custom', detail: '', width: 0, height: 0 },
] as const;

type FieldName = 'name' | 'startUrl' | 'resolution' | 'width' | 'height' | 'fps' | 'password' | 'urlAllowlist' | 'clipboard' | 'idleStopMinutes' | 'maxDurationMinutes' | 'keepLogins';

export function openNewRoomDialog(onCreated: (room: Room) => void): void {
  const msgs = new Map<FieldName, { msg: HTMLElement; hint: string | null; input: HTMLElement }>();
  const describe = (name: FieldName, input: HTMLElement, hint: string | null) => {
    const msg = h('div', { id: `nr-${name}-msg`, class: 'field-msg' }, hint ? h('p', { class: 'hint' }, hint) : null);
    input.setAttribute('aria-describedby', msg.id);
    msgs.set(name, { msg, hint, input });
    return msg;
  };

  const name = h('input', { class: 'input', id: 'nr-name', name: 'name', maxlength: 80, autocomplete: 'off', placeholder: 'Movie night' });
  const startUrl = h('input', { class: 'input', id: 'nr-startUrl', name: 'startUrl', type: 'url', inputmode: 'url', autocomplete: 'url', spellcheck: false, placeholder: 'https://example.org' });
  const width = h('input', { class: 'input', id: 'nr-width', name: 'width', type: 'number', inputmode: 'numeric', min: 320, max: 3840, step: 2, value: '1600' });
  const height = h('input', { class: 'input', id: 'nr-height', name: 'height', type: 'number', inputmode: 'numeric', min: 240, max: 2160, step: 2, value: '900' });
  const fps = h('input', { class: 'input input-narrow', id: 'nr-fps', name: 'fps', type: 'number', inputmode: 'numeric', min: 1, max: 60, value: '30' });
  const password = h('input', { class: 'input', id: 'nr-password', name: 'password', type: 'password', autocomplete: 'new-password', placeholder: 'Leave empty for an open room' });
  // Issue 14: who may copy and paste between the room and their own clipboard.
  const clipboard = h(
    'select',
    { class: 'select', id: 'nr-clipboard', name: 'clipboard' },
    h('option', { value: 'driver', selected: true }, 'The driver, both ways'),
    h('option', { value: 'everyone' }, 'The driver, and everyone may copy out'),
    h('option', { value: 'off' }, 'Off'),
  );
  // Issue 14: when the room stops by itself (empty for a while, or after a time limit); empty: the appliance's default.
  const minutesInput = (id: FieldName, placeholder: string) => h('input', { class: 'input input-narrow', id: `nr-${id}`, name: id, type: 'number', inputmode: 'decimal', min: 0, step: 'any', placeholder });
  const idleStop = minutesInput('idleStopMinutes', 'default');
  const maxDuration = minutesInput('maxDurationMinutes', 'default');
  // Issue 14: the room's browser keeps cookies and logins across restarts (off: fresh each start).
  const keepLogins = h('input', { type: 'checkbox', id: 'nr-keepLogins', name: 'keepLogins' });
  const urlAllowlist = h('textarea', { class: 'input', id: 'nr-urlAllowlist', name: 'urlAllowlist', rows: 3, spellcheck: false, autocomplete: 'off', placeholder: 'example.org\nhttps://docs.example.com/guide' });

  const radios = RESOLUTIONS.map((r, i) =>
    h('label', null, h('input', { type: 'radio', name: 'resolution', value: r.id, checked: i === 0 }), h('span', null, r.label), r.detail ? h('small', null, r.detail) : null),
  );
  const customRow = h(
    'div',
    { class: 'custom-size', hidden: true },
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'nr-width' }, 'Width'), width, describe('width', width, null)),
    h('span', { class: 'times', 'aria-hidden': 'true' }, '×'),
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'nr-height' }, 'Height'), height, describe('height', height, null)),
  );
  const resolutionGroup = h('fieldset', { class: 'segmented', id: 'nr-resolution' }, h('legend', { class: 'label' }, 'Resolution'), ...radios);
  const selected = () => (resolutionGroup.querySelector<HTMLInputElement>('input:checked')?.value ?? '1080') as (typeof RESOLUTIONS)[number]['id'];
  resolutionGroup.addEventListener('change', () => {
    customRow.hidden = selected() !== 'custom';
    if (!customRow.hidden) width.focus();
  });
  // Whether the host has room for this size, shown before anyone submits.
  const capacity = capacityNote();
  const shape = () => {
    const b = body();
    return { width: b.width as number, height: b.height as number, fps: b.fps as number };
  };
  for (const input of [resolutionGroup, width, height, fps]) input.addEventListener('input', () => capacity.check(shape()));
  resolutionGroup.addEventListener('change', () => capacity.check(shape()));

  const formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'new-room-form' }, 'Create room');

  const clearErrors = () => {
    formError.hidden = true;
    for (const { msg, hint, input } of msgs.values()) {
      input.removeAttribute('aria-invalid');
      msg.replaceChildren(hint ? h('p', { class: 'hint' }, hint) : '');
    }
  };
  const showFieldError = (field: FieldName, text: string) => {
    const entry = msgs.get(field);
    if (!entry) return false;
    entry.input.setAttribute('aria-invalid', 'true');
    entry.msg.replaceChildren(h('p', { class: 'field-error' }, icon('alert', 14), h('span', null, text)));
    if (field === 'width' || field === 'height') {
      resolutionGroup.querySelector<HTMLInputElement>('input[value="custom"]')!.checked = true;
      customRow.hidden = false;
    }
    entry.input.focus();
    return true;
  };

  const body = (): Record<string, unknown> => {
    const res = RESOLUTIONS.find((r) => r.id === selected())!;
    const out: Record<string, unknown> = {
      name: name.value,
      startUrl: startUrl.value.trim(),
      width: res.id === 'custom' ? Number(width.value) : res.width,
      height: res.id === 'custom' ? Number(height.value) : res.height,
      fps: fps.value === '' ? 30 : Number(fps.value),
    };
    if (password.value) out.password = password.value;
    out.clipboard = clipboard.value;
    if (idleStop.value !== '') out.idleStopMinutes = Number(idleStop.value);
    if (maxDuration.value !== '') out.maxDurationMinutes = Number(maxDuration.value);
    out.keepLogins = keepLogins.checked;
    const allowed = urlAllowlist.value.split(/[\s,]+/).filter((l) => l !== '');
    if (allowed.length > 0) out.urlAllowlist = allowed;
    return out;
  };

  const form = h(
    'form',
    {
      id: 'new-room-form',
      class: 'new-room-form',
      novalidate: true,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        clearErrors();
        submit.disabled = true;
        submit.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Creating…');
        try {
          const room = await api<Room>('POST', '/api/rooms', body());
          dlg.close();
          onCreated(room);
        } catch (err) {
          const e = err as ApiError;
          let text = e.fieldMessage;
          if (e.field === 'startUrl' && /absolute/i.test(text)) text += ', with http:// or https://, e.g. https://example.org';
          if (!(e.field && showFieldError(e.field as FieldName, text))) {
            formError.hidden = false;
            formError.replaceChildren(icon('alert', 16), h('span', null, e.status === 503 ? 'systemd could not be reached. Nothing was lost; try again in a moment.' : e.message));
          }
        } finally {
          submit.disabled = false;
          submit.textContent = 'Create room';
        }
      },
    },
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'nr-name' }, 'Name'), name, describe('name', name, 'Shown on the dashboard and to everyone in the room.')),
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'nr-startUrl' }, 'Start page'), startUrl, describe('startUrl', startUrl, 'The browser opens this page when the room starts.')),
    h('div', { class: 'field' }, resolutionGroup, customRow),
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: 'nr-fps' }, 'Frame rate ', h('span', { class: 'optional' }, '(frames per second)')),
      fps,
      describe('fps', fps, '30 suits most pages; 60 for games and fast motion, at twice the bandwidth.'),
    ),
    capacity.el,
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: 'nr-password' }, 'Password ', h('span', { class: 'optional' }, '(optional)')),
      password,
      describe('password', password, 'At least 8 characters; participants type it once. Without one, anyone with the link can join; links are unguessable.'),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: 'nr-urlAllowlist' }, 'Allowed sites ', h('span', { class: 'optional' }, '(optional, one per line)')),
      urlAllowlist,
      describe('urlAllowlist', urlAllowlist, 'The room’s browser opens only these: example.org (with its subdomains), .example.org (that host only), https://example.org/docs (that path). Empty: any web page. The start page must be on the list.'),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: 'nr-clipboard' }, 'Clipboard'),
      clipboard,
      describe('clipboard', clipboard, 'Text copied in the room reaches the copier’s clipboard, and the driver can paste into the room.'),
    ),
    h(
      'div',
      { class: 'field-row' },
      h('div', { class: 'field' }, h('label', { class: 'label', for: 'nr-idleStopMinutes' }, 'Stop when empty ', h('span', { class: 'optional' }, '(minutes)')), idleStop, describe('idleStopMinutes', idleStop, 'Nobody in the room this long: it stops, and starts again when someone opens its link. 0: never; empty: the appliance’s default.')),
      h('div', { class: 'field' }, h('label', { class: 'label', for: 'nr-maxDurationMinutes' }, 'Time limit ', h('span', { class: 'optional' }, '(minutes)')), maxDuration, describe('maxDurationMinutes', maxDuration, 'It stops after running this long; everyone is warned a few minutes before. 0: none; empty: the appliance’s default.')),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'check', for: 'nr-keepLogins' }, keepLogins, h('span', null, 'Keep logins')),
      describe('keepLogins', keepLogins, 'The room’s browser keeps cookies and logins when the room or the appliance restarts, so people stay logged in to sites. They are stored on the appliance’s disk; Reset browser forgets them. Off: a fresh browser at every start.'),
    ),
    formError,
  );
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const dlg = openDialog({ title: 'New room', body: [form], actions: [cancel, submit], className: 'dialog-wide' });
  cancel.addEventListener('click', () => dlg.close());
  name.focus();
  capacity.check(shape());
}
