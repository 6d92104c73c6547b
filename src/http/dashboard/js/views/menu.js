// A small disclosure menu (<details>): keyboard-friendly without any script, closed after a choice.
import { h } from '../dom.js';

/** items: [{label, onSelect, danger?}] or 'separator' or {heading}. */
export function menu(label, items, { align = 'right', testid } = {}) {
  const details = h('details', { class: `menu menu-${align}`, 'data-testid': testid });
  const list = h('div', { class: 'menu-list', role: 'menu' });
  for (const item of items) {
    if (item === 'separator') list.append(h('hr'));
    else if (item.heading) list.append(h('div', { class: 'menu-heading' }, item.heading));
    else
      list.append(
        h(
          'button',
          {
            type: 'button',
            role: 'menuitem',
            class: item.danger ? 'menu-item danger' : 'menu-item',
            onclick: () => {
              details.open = false;
              item.onSelect();
            },
          },
          item.label,
        ),
      );
  }
  details.append(h('summary', { class: 'btn btn-small', 'aria-haspopup': 'menu' }, label), list);
  return details;
}

/** Rebuilds `el` only when `key` changed, so open menus and selections survive live updates. */
export function keyed(el, key, build) {
  if (el.dataset.key === key) return false;
  el.dataset.key = key;
  build(el);
  return true;
}
