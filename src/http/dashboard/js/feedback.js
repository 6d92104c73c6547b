// The confirmation dialog and the toasts that report what an action did.
import { $, h } from './dom.js';

/** Resolves true when the person confirms. Uses the native <dialog>: focus trap and Esc for free. */
export function confirmAction({ title, message, confirmLabel = 'Confirm', danger = false }) {
  const dialog = $('#confirm');
  $('#confirm-title').textContent = title;
  $('#confirm-message').textContent = message;
  const ok = $('#confirm-ok');
  ok.textContent = confirmLabel;
  ok.className = danger ? 'btn btn-danger' : 'btn btn-primary';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = 'cancel';
    dialog.showModal();
    $('#confirm-cancel').focus();
  });
}

export function toast(message, kind = 'info', timeoutMs = 5000) {
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  const box = $('#toasts');
  box.append(el);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => el.remove(), timeoutMs);
}
