// The rack header: name, readiness, revisions, last pass, suspended badge, rack-wide actions, and
// the rejected-revision banner that must be impossible to miss.
import { $, h, replace } from '../dom.js';
import { formatAgo, formatDuration, shortRevision } from '../format.js';
import { actionRequest, powerOps } from './actions.js';
import { keyed, menu } from './menu.js';

export function renderHeader(ctx) {
  const { rack } = ctx.state.status;
  const allReady = rack.counts.ready === rack.counts.nodes && rack.counts.nodes > 0;
  replace(
    $('#rack-title'),
    h('span', { class: 'rack-name' }, rack.name),
    h(
      'span',
      { class: `pill ${allReady ? 'pill-ok' : 'pill-warn'}`, 'data-testid': 'ready-count' },
      `Ready ${rack.counts.ready}/${rack.counts.nodes}`,
    ),
    rack.suspended ? h('span', { class: 'pill pill-suspended', 'data-testid': 'suspended' }, 'Suspended') : null,
    // Who suspended what and why: every maintenance hold in force (rack, stacks, Pis).
    ...(rack.holds ?? []).map((hold) =>
      h(
        'span',
        { class: 'pill pill-suspended', 'data-testid': 'hold', title: `since ${hold.at}` },
        `${hold.target} suspended by ${hold.by}${hold.reason ? `: ${hold.reason}` : ''}`,
      ),
    ),
  );

  const meta = $('#rack-meta');
  let info = meta.querySelector('.meta-info');
  let actions = meta.querySelector('.meta-actions');
  if (!info || !actions) {
    info = h('div', { class: 'meta-info' });
    actions = h('div', { class: 'meta-actions' });
    replace(meta, info, actions);
  }
  const rejected = rack.revisionErrors.length > 0;
  replace(
    info,
    metaItem('Applied', shortRevision(rack.lastAppliedRevision), rack.lastAppliedRevision),
    metaItem('Attempted', shortRevision(rack.lastAttemptedRevision), rack.lastAttemptedRevision, rejected ? 'bad' : ''),
    metaItem('Last pass', rack.lastPassAt ? `${formatAgo(rack.lastPassAt)} · ${formatDuration(rack.lastPassDurationMs)}` : 'not yet'),
  );

  keyed(actions, `${rack.suspended}|${ctx.state.actions.join(',')}`, (el) => {
    replace(
      el,
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small btn-primary',
          'data-testid': 'reconcile-now',
          onclick: () =>
            ctx.run({
              title: 'Reconcile now?',
              message: 'Every Pi is observed and brought to the state rack.yaml declares, without waiting for the next resync.',
              confirmLabel: 'Reconcile',
              url: '/api/v1/reconcile',
            }),
        },
        'Reconcile now',
      ),
      rack.suspended
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              'data-testid': 'resume',
              onclick: () =>
                ctx.run({
                  title: 'Resume reconciling?',
                  message: 'The daemon goes back to changing the rack to match rack.yaml.',
                  confirmLabel: 'Resume',
                  url: '/api/v1/resume',
                }),
            },
            'Resume',
          )
        : h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              'data-testid': 'suspend',
              onclick: () =>
                ctx.run({
                  title: 'Suspend reconciling?',
                  message: 'The daemon keeps observing and reporting, but changes nothing until resumed. Manual actions still work.',
                  confirmLabel: 'Suspend',
                  url: '/api/v1/suspend',
                }),
            },
            'Suspend',
          ),
      menu(
        'Whole rack',
        [
          { heading: 'Power' },
          ...powerOps('the whole rack', '/api/v1/rack/power').map((p) => ({
            label: p.label,
            danger: p.danger,
            onSelect: () => ctx.run(p.request),
          })),
          'separator',
          { heading: 'Run on every Pi' },
          ...ctx.state.actions.map((name) => ({
            label: name,
            onSelect: () => ctx.run(actionRequest('every Pi of the rack', `/api/v1/rack/actions/${encodeURIComponent(name)}`, name)),
          })),
        ],
        { testid: 'rack-menu' },
      ),
    );
  });

  const banner = $('#revision-errors');
  banner.hidden = !rejected;
  if (rejected) {
    replace(
      banner,
      h('strong', {}, `rack.yaml revision ${shortRevision(rack.lastAttemptedRevision)} was rejected`),
      h(
        'span',
        {},
        ` — nothing from it was applied; the rack stays on ${shortRevision(rack.lastAppliedRevision)}. Fix these and commit again:`,
      ),
      h(
        'ul',
        { class: 'mono' },
        rack.revisionErrors.map((e) => h('li', {}, e)),
      ),
    );
  }
}

function metaItem(label, value, title, tone = '') {
  return h(
    'span',
    { class: `meta-item ${tone}`, title },
    h('span', { class: 'meta-label' }, label),
    ' ',
    h('span', { class: 'mono' }, value),
  );
}
