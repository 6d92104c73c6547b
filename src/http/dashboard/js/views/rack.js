// The rack as the grid of stacks it physically is, each Pi a tile coloured by its state. The grid
// is rebuilt only when the rack's shape changes; live updates touch classes and texts in place,
// so open menus, focus and the search survive them.
import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { STATES, formatAgo, matchesQuery, piState, selectorOf, stackAnswering, stateLabel } from '../format.js';
import { tileHealthText } from '../health.js';
import { actionRequest, powerOps } from './actions.js';
import { keyed, menu } from './menu.js';

export function renderRack(ctx, root) {
  const { status } = ctx.state;
  if (!root.querySelector('.rack-toolbar')) buildShell(ctx, root);
  const stacks = new Map(status.stacks.map((s) => [s.id, s]));

  const counts = Object.fromEntries(STATES.map((s) => [s.id, 0]));
  for (const node of status.nodes) counts[piState(node, stacks.get(node.stack))] += 1;
  for (const s of STATES) root.querySelector(`[data-legend="${s.id}"] .legend-count`).textContent = String(counts[s.id]);

  const grid = root.querySelector('.rack-grid');
  const shape = JSON.stringify([status.rack.grid, status.stacks.map((s) => [s.id, s.x, s.y, s.nodes]), ctx.state.actions]);
  keyed(grid, shape, (el) => buildGrid(ctx, el));

  const query = ctx.state.query;
  const selection = selectionFor(ctx, query);
  const matchOf = (node) => (selection ? selection.ids?.has(node.id) === true : matchesQuery(node, query));
  let matches = 0;
  for (const node of status.nodes) {
    const tile = grid.querySelector(`[data-pi="${node.id}"]`);
    if (!tile) continue;
    const state = piState(node, stacks.get(node.stack));
    const match = query.trim() !== '' && matchOf(node);
    if (match) matches += 1;
    tile.className = [
      'tile',
      `state-${state}`,
      node.id === ctx.state.selectedPi ? 'selected' : '',
      match ? 'match' : '',
      query.trim() !== '' && !match ? 'dim' : '',
    ]
      .join(' ')
      .trim();
    tile.dataset.state = state;
    tile.setAttribute('aria-label', `Pi ${node.id}, ${stateLabel(state)}, ${node.observed.ip}`);
    tile.querySelector('.tile-state').textContent = stateLabel(state, { short: true });
    tile.querySelector('.tile-ip').textContent = node.observed.ip;
    tile.querySelector('.tile-facts').textContent =
      state === 'ready' || state === 'converging'
        ? tileHealthText(node)
        : state === 'unreachable'
          ? `seen ${formatAgo(node.lastSeen)}`
          : '';
  }
  for (const stack of status.stacks)
    updateStackHeader(grid.querySelector(`[data-stack="${stack.id}"]`), stack, stackAnswering(stack, status.nodes));
  root.querySelector('.search-result').textContent =
    query.trim() === '' ? '' : selection?.error ? selection.error : `${matches} match${matches === 1 ? '' : 'es'}`;
}

/**
 * The daemon's answer for a selector query, asked once per query text; undefined for a plain
 * search. An unknown label comes back as the API's error message, shown instead of a count.
 */
function selectionFor(ctx, query) {
  const selector = selectorOf(query);
  if (selector === undefined) return undefined;
  const known = ctx.state.selection;
  if (known?.query === query) return known;
  const pending = { query, ids: new Set() };
  ctx.state.selection = pending;
  api.get(`/api/v1/pis?selector=${encodeURIComponent(selector)}`).then(
    (body) => {
      if (ctx.state.selection !== pending) return;
      ctx.state.selection = { query, ids: new Set(body.pis.map((p) => p.id)) };
      ctx.render();
    },
    (error) => {
      if (ctx.state.selection !== pending) return;
      ctx.state.selection = { query, error: error.message };
      ctx.render();
    },
  );
  return pending;
}

function buildShell(ctx, root) {
  const search = h('input', {
    type: 'search',
    class: 'search',
    placeholder: 'Search id, MAC, IP or labels (role=worker)',
    'aria-label': 'Search Pis by id, MAC or IP',
    'data-testid': 'search',
    value: ctx.state.query,
    oninput: (e) => {
      ctx.state.query = e.target.value;
      ctx.render();
    },
    onkeydown: (e) => {
      if (e.key !== 'Enter') return;
      const selection = selectionFor(ctx, ctx.state.query);
      const first = ctx.state.status.nodes.find((n) => (selection ? selection.ids?.has(n.id) : matchesQuery(n, ctx.state.query)));
      if (first) ctx.openPi(first.id);
    },
  });
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    STATES.map((s) =>
      h(
        'li',
        { 'data-legend': s.id, title: s.hint },
        h('span', { class: `swatch state-${s.id}` }),
        s.label,
        ' ',
        h('span', { class: 'legend-count' }, '0'),
      ),
    ),
  );
  replace(
    root,
    h(
      'div',
      { class: 'rack-toolbar' },
      h('div', { class: 'search-wrap' }, search, h('span', { class: 'search-result muted small' })),
      legend,
    ),
    h('div', { class: 'rack-grid' }),
  );
}

function buildGrid(ctx, grid) {
  const { status } = ctx.state;
  grid.style.setProperty('--cols', String(Math.max(1, status.rack.grid.cols)));
  const byId = new Map(status.nodes.map((n) => [n.id, n]));
  replace(
    grid,
    [...status.stacks]
      .sort((a, b) => a.x - b.x || a.y - b.y)
      .map((stack) => {
        const card = h(
          'section',
          { class: 'stack', 'data-stack': String(stack.id), 'aria-label': `Stack ${stack.id}` },
          h(
            'header',
            { class: 'stack-head' },
            h('h3', {}, `Stack ${stack.id}`),
            h('span', { class: 'stack-power badge' }),
            h('span', { class: 'stack-health badge' }),
            h('span', { class: 'spacer' }),
            stackMenu(ctx, stack),
          ),
          h(
            'div',
            { class: 'tiles' },
            stack.nodes.map((id) => tile(ctx, byId.get(id) ?? { id, observed: { ip: '' } })),
          ),
        );
        // CSSOM, not a style attribute: the CSP forbids inline styles.
        card.style.gridRow = String(stack.x);
        card.style.gridColumn = String(stack.y);
        return card;
      }),
  );
}

function tile(ctx, node) {
  return h(
    'button',
    { type: 'button', class: 'tile', 'data-pi': String(node.id), 'data-testid': `pi-${node.id}`, onclick: () => ctx.openPi(node.id) },
    h('span', { class: 'tile-id' }, String(node.id)),
    h('span', { class: 'tile-state' }),
    h('span', { class: 'tile-ip mono' }),
    h('span', { class: 'tile-facts' }),
  );
}

function stackMenu(ctx, stack) {
  const label = `stack ${stack.id}`;
  return menu(
    'Actions',
    [
      { heading: 'Power' },
      ...powerOps(label, `/api/v1/stacks/${stack.id}/power`).map((p) => ({
        label: p.label,
        danger: p.danger,
        onSelect: () => ctx.run(p.request),
      })),
      {
        label: 'Confirm manual switch',
        onSelect: () =>
          ctx.run({
            title: `Confirm stack ${stack.id} was switched by hand?`,
            message: 'Only with the manual relay driver: tell the daemon you switched the stack as it asked.',
            confirmLabel: 'Confirm',
            url: `/api/v1/stacks/${stack.id}/power/confirm`,
          }),
      },
      'separator',
      { heading: 'Run on every Pi of the stack' },
      ...ctx.state.actions.map((name) => ({
        label: name,
        onSelect: () => ctx.run(actionRequest(label, `/api/v1/stacks/${stack.id}/actions/${encodeURIComponent(name)}`, name)),
      })),
    ],
    { testid: `stack-menu-${stack.id}` },
  );
}

function updateStackHeader(card, stack, answering) {
  if (!card) return;
  const power = card.querySelector('.stack-power');
  const text = stack.power === 'unknown' ? 'Power ?' : stack.power === 'on' ? 'On' : 'Off';
  power.textContent = stack.desiredPower !== stack.power ? `${text} → ${stack.desiredPower}` : text;
  power.title = `Relay: ${stack.power}; rack.yaml wants ${stack.desiredPower}`;
  power.className = `stack-power badge power-${stack.power}`;
  const health = card.querySelector('.stack-health');
  health.textContent = answering;
  health.title = { ok: 'every Pi answers', warning: 'some Pis answer', ko: 'no Pi answers' }[stack.health] ?? stack.health;
  health.className = `stack-health badge health-${stack.health}`;
}
