// Enlistment: which stack is powered up alone, how many new MACs were seen, how long is left.
import { h, replace } from '../dom.js';
import { formatDuration } from '../format.js';

export function renderEnlistment(ctx, root) {
  const { status } = ctx.state;
  const e = status.rack.enlistment;
  const withMac = status.nodes.filter((n) => n.observed.mac).length;
  const head = h(
    'div',
    { class: 'view-head' },
    h('h2', {}, 'Enlistment'),
    h('p', { class: 'muted' }, 'New Pis are found by powering their stack alone and watching DHCP for new MAC addresses.'),
  );
  const known = h('p', {}, `${withMac} of ${status.nodes.length} Pis have a known MAC address.`);
  if (!e || !e.active) {
    replace(
      root,
      head,
      h(
        'div',
        { class: 'card empty', 'data-testid': 'enlist-idle' },
        h('strong', {}, 'No enlistment running.'),
        ' ',
        e?.message ?? 'Declare Pis without a MAC in rack.yaml and the daemon enlists them on its next pass.',
      ),
      known,
    );
    return;
  }
  const total = e.elapsedMs + e.remainingMs;
  const found = h('progress', {
    max: Math.max(1, e.expected),
    value: e.found,
    'aria-label': 'Pis found',
    'data-testid': 'enlist-progress',
  });
  const time = h('progress', { max: Math.max(1, total), value: e.elapsedMs, 'aria-label': 'Time elapsed' });
  replace(
    root,
    head,
    h(
      'section',
      { class: 'card enlist' },
      h('h3', {}, `Stack ${e.stack ?? '?'} · ${e.stackIndex + 1} of ${e.stackCount}`),
      h('p', {}, e.message),
      h('div', { class: 'progress-row' }, h('span', {}, 'Pis found'), found, h('span', { class: 'mono' }, `${e.found}/${e.expected}`)),
      h(
        'div',
        { class: 'progress-row' },
        h('span', {}, 'Window'),
        time,
        h('span', { class: 'mono' }, `${formatDuration(e.remainingMs)} left`),
      ),
    ),
    known,
  );
}
