// What the daemon would do next, computed by the daemon from its last observations.
import { h, replace } from '../dom.js';

export function renderPlan(ctx, root, plan, { loading = false, error = null } = {}) {
  const refresh = h(
    'button',
    { type: 'button', class: 'btn btn-small', 'data-testid': 'plan-refresh', onclick: () => ctx.loadPlan() },
    loading ? 'Refreshing…' : 'Refresh',
  );
  const head = h(
    'div',
    { class: 'view-head' },
    h('h2', {}, 'Plan'),
    h('p', { class: 'muted' }, 'What the next pass would change. Nothing here has been done yet.'),
    refresh,
  );
  let body;
  if (error) body = h('div', { class: 'callout callout-error' }, error);
  else if (!plan) body = h('p', { class: 'muted' }, 'Loading…');
  else if (plan.length === 0)
    body = h('div', { class: 'empty' }, h('strong', {}, 'Nothing to do.'), ' The rack matches rack.yaml as last observed.');
  else {
    const groups = new Map();
    for (const entry of plan) groups.set(entry.target, [...(groups.get(entry.target) ?? []), entry]);
    body = h(
      'div',
      { class: 'plan-groups' },
      [...groups].map(([target, entries]) =>
        h(
          'section',
          { class: 'card plan-group' },
          h('h3', {}, target),
          h(
            'ul',
            { class: 'plain' },
            entries.map((e) => h('li', {}, h('span', { class: 'kind' }, e.kind), ' ', e.description)),
          ),
        ),
      ),
    );
  }
  replace(root, head, body);
}
