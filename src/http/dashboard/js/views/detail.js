// One Pi in full: addresses, facts, conditions, pending actions, last error, its recent events,
// and what can be done to it.
import { $, h, replace } from '../dom.js';
import { formatAgo, formatTime, piState, stateLabel } from '../format.js';
import { healthFacts } from '../health.js';
import { actionRequest } from './actions.js';
import { keyed } from './menu.js';

export function renderDetail(ctx) {
  const aside = $('#detail');
  const id = ctx.state.selectedPi;
  const node = ctx.state.status.nodes.find((n) => n.id === id);
  aside.hidden = node === undefined;
  document.body.classList.toggle('detail-open', node !== undefined);
  if (!node) return;
  const stack = ctx.state.status.stacks.find((s) => s.id === node.stack);
  const state = piState(node, stack);

  if (!aside.querySelector('.detail-body') || aside.dataset.pi !== String(id)) {
    aside.dataset.pi = String(id);
    delete aside.dataset.key;
    replace(
      aside,
      h(
        'header',
        { class: 'detail-head' },
        h('h2', { class: 'detail-title' }),
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-ghost btn-icon',
            'aria-label': 'Close details',
            'data-testid': 'detail-close',
            onclick: () => ctx.openPi(null),
          },
          '✕',
        ),
      ),
      h('div', { class: 'detail-body' }),
      h('div', { class: 'detail-actions' }),
    );
  }
  replace(
    aside.querySelector('.detail-title'),
    `Pi ${node.id}`,
    node.observed.hostname ? h('span', { class: 'muted detail-host' }, node.observed.hostname) : null,
    h('span', { class: `chip state-${state}`, 'data-testid': 'detail-state' }, stateLabel(state)),
  );

  const o = node.observed;
  const facts = [
    ['IP', o.ip],
    ['MAC', o.mac ?? '—'],
    ['Hostname', o.hostname ?? '—'],
    ['Stack', String(node.stack)],
    ...healthFacts(node),
    ['Last seen', formatAgo(node.lastSeen)],
  ];
  const events = ctx.state.events
    .filter((e) => e.target === `pi ${node.id}`)
    .slice(-8)
    .reverse();
  replace(
    aside.querySelector('.detail-body'),
    node.lastError
      ? h(
          'div',
          { class: 'callout callout-error', 'data-testid': 'detail-error' },
          h('strong', {}, node.lastError.code),
          h('div', {}, node.lastError.message),
          h('div', { class: 'muted small' }, formatAgo(node.lastError.at)),
        )
      : null,
    h(
      'dl',
      { class: 'facts' },
      facts.map(([k, v]) => [h('dt', {}, k), h('dd', { class: k === 'IP' || k === 'MAC' ? 'mono' : '' }, v)]),
    ),
    h('h3', {}, 'Conditions'),
    h(
      'ul',
      { class: 'conditions' },
      node.conditions.map((c) =>
        h(
          'li',
          { class: `cond cond-${c.status.toLowerCase()}` },
          h('span', { class: 'cond-type' }, c.type),
          h('span', { class: 'cond-status' }, c.status),
          h('span', { class: 'cond-reason', title: c.lastTransitionTime }, `${c.reason} · since ${formatAgo(c.lastTransitionTime)}`),
          c.message ? h('span', { class: 'cond-message' }, c.message) : null,
        ),
      ),
    ),
    h('h3', {}, 'Pending actions'),
    node.pendingActions.length === 0
      ? h('p', { class: 'muted' }, 'None: matches rack.yaml as last observed.')
      : h(
          'ul',
          { class: 'plain' },
          node.pendingActions.map((a) => h('li', {}, a)),
        ),
    h('h3', {}, 'Recent events'),
    events.length === 0
      ? h('p', { class: 'muted' }, 'No events for this Pi yet.')
      : h(
          'ul',
          { class: 'mini-events' },
          events.map((e) => h('li', { class: `ev-${e.result}` }, h('span', { class: 'muted small' }, formatTime(e.at)), ' ', e.message)),
        ),
  );

  keyed(aside.querySelector('.detail-actions'), `${node.id}|${ctx.state.actions.join(',')}`, (el) => {
    const select = h(
      'select',
      { 'aria-label': 'Action to run', 'data-testid': 'pi-action-select' },
      ctx.state.actions.map((name) => h('option', { value: name }, name)),
    );
    replace(
      el,
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-danger-outline',
          'data-testid': 'pi-reboot',
          onclick: () =>
            ctx.run({
              title: `Reboot Pi ${node.id}?`,
              message: `Pi ${node.id} restarts now; whatever runs on it is interrupted. The daemon watches it come back.`,
              confirmLabel: 'Reboot',
              danger: true,
              url: `/api/v1/pis/${node.id}/reboot`,
            }),
        },
        'Reboot',
      ),
      h(
        'div',
        { class: 'run-action' },
        select,
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            'data-testid': 'pi-action-run',
            onclick: () =>
              ctx.run(actionRequest(`Pi ${node.id}`, `/api/v1/pis/${node.id}/actions/${encodeURIComponent(select.value)}`, select.value)),
          },
          'Run',
        ),
      ),
    );
  });
}
