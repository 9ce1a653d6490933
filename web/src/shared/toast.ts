/** Short messages at the bottom of the screen, read out by screen readers. */
import { h, type Child } from './dom.js';
import { icon, type IconName } from './icons.js';

let region: HTMLElement | null = null;

function ensureRegion(): HTMLElement {
  if (!region || !document.body.contains(region)) {
    region = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(region);
  }
  return region;
}

export function toast(message: Child, opts: { icon?: IconName; tone?: 'ok' | 'info' | 'warn' | 'danger'; ms?: number; actions?: Child[] } = {}): () => void {
  const el = h('div', { class: `toast toast-${opts.tone ?? 'info'}` }, opts.icon ? icon(opts.icon, 18) : null, h('div', { class: 'toast-text' }, message), opts.actions?.length ? h('div', { class: 'toast-actions' }, ...opts.actions) : null);
  ensureRegion().appendChild(el);
  requestAnimationFrame(() => el.classList.add('in'));
  let gone = false;
  const dismiss = () => {
    if (gone) return;
    gone = true;
    el.classList.remove('in');
    window.setTimeout(() => el.remove(), 200);
  };
  window.setTimeout(dismiss, opts.ms ?? 4000);
  return dismiss;
}
