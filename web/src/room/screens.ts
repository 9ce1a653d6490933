/** The room page's cards before and around the room: name, password, and the dead ends. */
import { h, type Child } from '../shared/dom.js';
import { icon, logo, type IconName } from '../shared/icons.js';

export const NAME_KEY = 'streambox.name';
export const NAME_MAX = 40;

export function storedName(): string | null {
  try {
    const name = localStorage.getItem(NAME_KEY)?.trim();
    return name ? name.slice(0, NAME_MAX) : null;
  } catch {
    return null;
  }
}

export function storeName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // private mode: ask again next time
  }
}

function card(...children: Child[]): HTMLElement {
  return h('div', { class: 'screen' }, h('div', { class: 'screen-brand' }, logo(24), 'streambox'), h('div', { class: 'screen-card' }, ...children));
}

/** "What should we call you?" Resolves with the trimmed name. */
export function namePrompt(roomName: string | null, initial = ''): { el: HTMLElement; done: Promise<string> } {
  let resolve!: (name: string) => void;
  const done = new Promise<string>((r) => (resolve = r));
  const input = h('input', { class: 'input', id: 'display-name', name: 'name', maxlength: NAME_MAX, autocomplete: 'nickname', enterkeyhint: 'go', value: initial, 'aria-describedby': 'name-msg' });
  const msg = h('p', { id: 'name-msg', class: 'hint' }, 'Others see it next to your pointer. It is remembered on this device.');
  const form = h(
    'form',
    {
      novalidate: true,
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const name = input.value.trim();
        if (!name) {
          input.setAttribute('aria-invalid', 'true');
          msg.className = 'field-error';
          msg.replaceChildren(icon('alert', 14), h('span', null, 'Type a name so the others know who you are.'));
          input.focus();
          return;
        }
        resolve(name.slice(0, NAME_MAX));
      },
    },
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'display-name' }, 'Your name'), input, msg),
    h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Join room'),
  );
  const el = card(h('p', { class: 'eyebrow' }, 'You are joining'), h('h1', null, roomName ?? 'a room'), form);
  requestAnimationFrame(() => input.focus());
  return { el, done };
}

/** The room password. `submit` throws an Error whose message is shown under the field. */
export function passwordPrompt(submit: (password: string) => Promise<void>): { el: HTMLElement; done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const input = h('input', { class: 'input', id: 'room-password', name: 'password', type: 'password', autocomplete: 'current-password', enterkeyhint: 'go', 'aria-describedby': 'room-password-msg' });
  const msg = h('div', { id: 'room-password-msg' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Enter room');
  const showError = (text: string) => {
    input.setAttribute('aria-invalid', 'true');
    msg.replaceChildren(h('p', { class: 'field-error', role: 'alert' }, icon('alert', 14), h('span', null, text)));
  };
  const form = h(
    'form',
    {
      novalidate: true,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        if (button.disabled) return;
        if (!input.value) return showError('Type the room password.');
        button.disabled = true;
        button.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Checking…');
        try {
          await submit(input.value);
          resolve();
        } catch (err) {
          showError((err as Error).message);
          input.select();
        } finally {
          button.disabled = false;
          button.textContent = 'Enter room';
        }
      },
    },
    h('div', { class: 'field' }, h('label', { class: 'label', for: 'room-password' }, 'Room password'), input, msg),
    button,
  );
  const el = card(h('div', { class: 'screen-icon' }, icon('lock', 26)), h('h1', null, 'This room has a password'), h('p', { class: 'muted' }, 'Ask the person who sent you the link for it.'), form);
  requestAnimationFrame(() => input.focus());
  return { el, done };
}

/** A dead end, said plainly, with one way out. */
export function messageScreen(opts: { icon: IconName; title: string; text: string; tone?: 'danger' | 'idle'; action?: { label: string; run: () => void } }): HTMLElement {
  return card(
    h('div', { class: `screen-icon ${opts.tone === 'danger' ? 'tone-danger' : ''}` }, icon(opts.icon, 26)),
    h('h1', null, opts.title),
    h('p', { class: 'muted' }, opts.text),
    opts.action ? h('button', { type: 'button', class: 'btn btn-block', onclick: opts.action.run }, opts.action.label) : null,
  );
}
