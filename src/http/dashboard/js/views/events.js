// The event log, newest first, growing live from the event stream.
import { h, replace } from '../dom.js';
import { formatDuration, formatTime } from '../format.js';

export function renderEvents(ctx, root) {
  let filter = root.querySelector('.events-filter');
  let table = root.querySelector('tbody');
  if (!filter || !table) {
    filter = h('input', {
      type: 'search',
      class: 'search events-filter',
      placeholder: 'Filter: pi 3, stack 2, failed…',
      'aria-label': 'Filter events',
      oninput: () => renderEvents(ctx, root),
    });
    table = h('tbody');
    replace(
      root,
      h(
        'div',
        { class: 'view-head' },
        h('h2', {}, 'Events'),
        h('p', { class: 'muted' }, 'What was done, to what, why, and how it went. Updates live.'),
        filter,
      ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'events' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Time', 'Target', 'Kind', 'What', 'Result', 'Took'].map((t) => h('th', {}, t)),
            ),
          ),
          table,
        ),
      ),
    );
  }
  const q = filter.value.trim().toLowerCase();
  const rows = ctx.state.events
    .filter((e) => q === '' || `${e.target} ${e.kind} ${e.message} ${e.result}`.toLowerCase().includes(q))
    .slice(-300)
    .reverse();
  replace(
    table,
    rows.length === 0
      ? h('tr', {}, h('td', { colspan: '6', class: 'muted' }, 'No events yet.'))
      : rows.map((e) =>
          h(
            'tr',
            { 'data-seq': String(e.seq) },
            h('td', { class: 'mono nowrap', title: e.at }, formatTime(e.at)),
            h('td', { class: 'nowrap' }, e.target),
            h('td', { class: 'kind' }, e.kind),
            h('td', {}, e.message),
            h('td', {}, h('span', { class: `chip result-${e.result}` }, e.result)),
            h('td', { class: 'nowrap muted' }, e.durationMs === undefined ? '' : formatDuration(e.durationMs)),
          ),
        ),
  );
}
