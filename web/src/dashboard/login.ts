/** The admin sign-in screen. */
import { api, ApiError } from '../shared/api.js';
import { h } from '../shared/dom.js';
import { icon, logo } from '../shared/icons.js';

export function loginView(opts: { note?: string; onSignedIn: () => void }): HTMLElement {
  const input = h('input', { class: 'input', id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'aria-describedby': 'password-hint' });
  const reveal = h('button', { type: 'button', class: 'btn btn-ghost btn-sm reveal', 'aria-pressed': 'false' }, 'Show');
  reveal.addEventListener('click', () => {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    reveal.textContent = show ? 'Hide' : 'Show';
    reveal.setAttribute('aria-pressed', String(show));
    input.focus();
  });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in');
  let countdown: number | null = null;

  const showError = (text: string) => {
    error.hidden = false;
    error.replaceChildren(icon('alert', 16), h('span', null, text));
    input.setAttribute('aria-invalid', 'true');
  };

  const waitOut = (seconds: number) => {
    let left = seconds;
    submit.disabled = true;
    const tick = () => {
      if (left <= 0) {
        if (countdown !== null) window.clearInterval(countdown);
        countdown = null;
        submit.disabled = false;
        showError('You can try again now.');
        return;
      }
      showError(`Too many attempts. Try again in ${left} s.`);
      left--;
    };
    tick();
    countdown = window.setInterval(tick, 1000);
  };

  const form = h(
    'form',
    {
      class: 'login-card card',
      novalidate: true,
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        if (submit.disabled) return;
        if (!input.value) {
          showError('Enter the admin password.');
          input.focus();
          return;
        }
        submit.disabled = true;
        submit.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Signing in…');
        try {
          await api('POST', '/api/auth/login', { password: input.value });
          opts.onSignedIn();
        } catch (err) {
          const e = err as ApiError;
          submit.disabled = false;
          submit.textContent = 'Sign in';
          if (e.status === 401) showError('Wrong password.');
          else if (e.status === 429) waitOut(e.retryAfter ?? 30);
          else showError(e.message);
          input.select();
        }
      },
    },
    h('h1', null, 'Sign in'),
    h('p', { class: 'muted' }, 'Manage your rooms: create them, share their links, see how they run.'),
    opts.note ? h('div', { class: 'form-note', role: 'status' }, icon('check', 16), h('span', null, opts.note)) : null,
    h(
      'div',
      { class: 'field' },
      h('label', { class: 'label', for: 'password' }, 'Admin password'),
      h('div', { class: 'input-with-button' }, input, reveal),
      h('p', { class: 'hint', id: 'password-hint' }, 'It was printed by ', h('code', null, 'image/appliance up'), '. On the appliance it is also in ', h('code', null, '/var/lib/streambox/initial-admin-password'), ' until you change it.'),
    ),
    error,
    submit,
  );

  const view = h('div', { class: 'login-page' }, h('div', { class: 'brand brand-lg' }, logo(36), h('span', null, 'streambox')), form);
  requestAnimationFrame(() => input.focus());
  return view;
}
