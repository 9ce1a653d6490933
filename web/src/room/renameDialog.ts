/** "Change your name": a small dialog; `save` gets the trimmed, non-empty new name. */
import { openDialog } from '../shared/dialog.js';
import { h } from '../shared/dom.js';
import { NAME_MAX } from './screens.js';

export function renameDialog(current: string, save: (name: string) => void): void {
  const input = h('input', { class: 'input', id: 'rename', maxlength: NAME_MAX, value: current, autocomplete: 'nickname' });
  const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', form: 'rename-form' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const form = h(
    'form',
    {
      id: 'rename-form',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const name = input.value.trim().slice(0, NAME_MAX);
        if (!name) return input.focus();
        save(name);
        dlg.close();
      },
    },
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'rename' }, 'Your name'), input),
  );
  const dlg = openDialog({ title: 'Change your name', body: [form], actions: [cancel, saveBtn] });
  cancel.addEventListener('click', () => dlg.close());
  input.select();
}
