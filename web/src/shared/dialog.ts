/** Modal dialogs on the native <dialog>: focus is trapped, Escape closes, focus returns afterwards. */
import { h, type Child } from './dom.js';
import { icon } from './icons.js';

export interface DialogHandle {
  el: HTMLDialogElement;
  body: HTMLElement;
  actions: HTMLElement;
  close(): void;
}

export function openDialog(opts: { title: string; body: Child[]; actions?: Child[]; onClose?: () => void; labelledBy?: string; form?: boolean; className?: string }): DialogHandle {
  const titleId = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  const returnFocus = document.activeElement as HTMLElement | null;
  const body = h('div', { class: 'dialog-body' }, ...opts.body);
  const actions = h('div', { class: 'dialog-actions' }, ...(opts.actions ?? []));
  const el = h(
    'dialog',
    { class: `dialog ${opts.className ?? ''}`, 'aria-labelledby': titleId },
    h('div', { class: 'dialog-head' }, h('h2', { id: titleId }, opts.title), h('button', { type: 'button', class: 'btn btn-ghost btn-icon btn-sm dialog-close', 'aria-label': 'Close', onclick: () => close() }, icon('x'))),
    body,
    actions,
  );
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (el.open) el.close();
    el.remove();
    opts.onClose?.();
    returnFocus?.focus?.();
  };
  el.addEventListener('close', close);
  // A click on the backdrop (the dialog element itself, outside its content box) closes it.
  el.addEventListener('mousedown', (ev) => {
    if (ev.target !== el) return;
    const r = el.getBoundingClientRect();
    if (ev.clientX < r.left || ev.clientX > r.right || ev.clientY < r.top || ev.clientY > r.bottom) close();
  });
  document.body.appendChild(el);
  el.showModal();
  return { el, body, actions, close };
}

/** Asks a yes/no question; resolves true when confirmed. `run` may do the work and throw to keep it open. */
export function confirmDialog(opts: { title: string; body: Child[]; confirm: string; danger?: boolean; run?: () => Promise<void> }): Promise<boolean> {
  return new Promise((resolve) => {
    let result = false;
    const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
    const confirmBtn = h('button', { type: 'button', class: `btn ${opts.danger ? 'btn-danger' : 'btn-primary'}` }, opts.confirm);
    const cancelBtn = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const dlg = openDialog({ title: opts.title, body: [...opts.body, error], actions: [cancelBtn, confirmBtn], onClose: () => resolve(result) });
    cancelBtn.addEventListener('click', () => dlg.close());
    confirmBtn.addEventListener('click', async () => {
      if (!opts.run) {
        result = true;
        return dlg.close();
      }
      confirmBtn.disabled = cancelBtn.disabled = true;
      const label = confirmBtn.textContent;
      confirmBtn.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), label ?? '');
      try {
        await opts.run();
        result = true;
        dlg.close();
      } catch (err) {
        error.hidden = false;
        error.replaceChildren(icon('alert', 16), h('span', null, (err as Error).message));
        confirmBtn.disabled = cancelBtn.disabled = false;
        confirmBtn.textContent = label;
      }
    });
    cancelBtn.focus();
  });
}
