/** The "change password" dialog (POST /api/auth/password). Every session ends afterwards. */
import { api, ApiError } from '../shared/api.js';
import { openDialog } from '../shared/dialog.js';
import { h } from '../shared/dom.js';
import { icon } from '../shared/icons.js';

export function openPasswordDialog(onChanged: () => void): void {
  const field = (name: string, label: string, autocomplete: string, hint?: string) => {
    const input = h('input', { class: 'input', id: `pw-${name}`, name, type: 'password', autocomplete, 'aria-describedby': `pw-${name}-msg` });
    const msg = h('div', { id: `pw-${name}-msg` }, hint ? h('p', { class: 'hint' }, hint) : null);
    return { input, msg, el: h('div', { class: 'field' }, h('label', { class: 'label', for: `pw-${name}` }, label), input, msg), hint };
  };
  const current = field('currentPassword', 'Current password', 'current-password');
  const next = field('newPassword', 'New password', 'new-password', 'At least 12 characters. A few unrelated words are easy to type and hard to guess.');
  const again = field('confirm', 'New password again', 'new-password');
  const fields = { currentPassword: current, newPassword: next, confirm: again };
  const formError = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', form: 'password-form' }, 'Change password');

  const clearErrors = () => {
    formError.hidden = true;
    for (const f of Object.values(fields)) {
      f.input.removeAttribute('aria-invalid');
      f.msg.replaceChildren(f.hint ? h('p', { class: 'hint' }, f.hint) : '');
    }
  };
  const fieldError = (name: keyof typeof fields, text: string) => {
    const f = fields[name];
    f.input.setAttribute('aria-invalid', 'true');
    f.msg.replaceChildren(h('p', { class: 'field-error' }, icon('alert', 14), h('span', null, text)));
    f.input.focus();
  };

  const form = h(
    'form',
    {
      id: 'password-form',
      novalidate: true,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        clearErrors();
        if (!current.input.value) return fieldError('currentPassword', 'Enter your current password.');
        if (next.input.value.length < 12) return fieldError('newPassword', 'Use at least 12 characters.');
        if (next.input.value !== again.input.value) return fieldError('confirm', 'The two new passwords differ.');
        submit.disabled = true;
        try {
          await api('POST', '/api/auth/password', { currentPassword: current.input.value, newPassword: next.input.value });
          dlg.close();
          onChanged();
        } catch (err) {
          const e = err as ApiError;
          if (e.field === 'currentPassword') fieldError('currentPassword', e.fieldMessage === 'Is wrong' ? 'That is not the current password.' : e.fieldMessage);
          else if (e.field === 'newPassword') fieldError('newPassword', e.fieldMessage);
          else {
            formError.hidden = false;
            formError.replaceChildren(icon('alert', 16), h('span', null, e.status === 429 ? `Too many attempts. Try again in ${e.retryAfter ?? 30} s.` : e.message));
          }
        } finally {
          submit.disabled = false;
        }
      },
    },
    current.el,
    next.el,
    again.el,
    h('p', { class: 'hint dialog-note' }, 'Changing it signs out every session, this one included. The generated password file on the appliance is removed.'),
    formError,
  );
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const dlg = openDialog({ title: 'Change the admin password', body: [form], actions: [cancel, submit] });
  cancel.addEventListener('click', () => dlg.close());
  current.input.focus();
}
