// Runs of actions and upgrades: a form that starts one (rolling controls for disruptive ones) and
// the runs, newest first, each with a row per Pi that changes live as the event stream tells of
// progress (events of kind `run`; the view then reads GET /api/v1/runs).
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { toast } from '../feedback.js';

function field(label, input) {
  return h('label', { class: 'run-field' }, h('span', {}, label), input);
}

function form(ctx) {
  const action = h(
    'select',
    { name: 'action', 'aria-label': 'Action' },
    ctx.state.actions.map((a) => h('option', { value: a }, a)),
  );
  const scope = h('select', { name: 'scope', 'aria-label': 'Where' }, [
    h('option', { value: 'stacks' }, 'stacks'),
    h('option', { value: 'pis' }, 'Pis'),
    h('option', { value: 'rack' }, 'the whole rack'),
  ]);
  const ids = h('input', { name: 'ids', placeholder: 'e.g. 1 or 1,2', 'aria-label': 'Ids', size: 10 });
  const maxUnavailable = h('input', { name: 'maxUnavailable', placeholder: '1 or 25%', 'aria-label': 'Max unavailable', size: 6 });
  const batch = h('input', { name: 'batch', type: 'number', min: 1, 'aria-label': 'Batch', size: 4 });
  const cont = h('input', { name: 'continue', type: 'checkbox' });
  const submit = async (e) => {
    e.preventDefault();
    const list = ids.value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number);
    const body = { action: action.value };
    if (scope.value === 'rack') body.rack = true;
    else body[scope.value] = list;
    if (maxUnavailable.value.trim() !== '')
      body.maxUnavailable = /^\d+$/.test(maxUnavailable.value.trim()) ? Number(maxUnavailable.value) : maxUnavailable.value.trim();
    if (batch.value !== '') body.batch = Number(batch.value);
    if (cont.checked) body.continue = true;
    const result = await api.operate('/api/v1/runs', body).catch((error) => ({ ok: false, message: error.message }));
    toast(result.message || (result.ok ? 'started' : 'refused'), result.ok ? 'ok' : 'error');
    if (result.run) {
      ctx.state.runs = [result.run, ...(ctx.state.runs ?? []).filter((r) => r.id !== result.run.id)];
      ctx.render();
    }
  };
  return h(
    'form',
    { class: 'run-form', onsubmit: submit },
    field('Action', action),
    field('On', scope),
    field('Ids', ids),
    field('Max unavailable', maxUnavailable),
    field('Batch', batch),
    field('Go on after a failed batch', cont),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Run'),
  );
}

function runCard(run) {
  const batchOf = new Map();
  run.batches.forEach((b, i) => b.forEach((id) => batchOf.set(id, i + 1)));
  return h(
    'article',
    { class: `run run-${run.state}`, dataset: { run: run.id, state: run.state, action: run.action } },
    h('h3', {}, `${run.action} on ${run.target}`, ' ', h('span', { class: `badge badge-${run.state}` }, run.state)),
    h('p', { class: 'muted run-message' }, run.message),
    h(
      'table',
      { class: 'events run-pis' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Pi', 'Batch', 'State', 'Phase', 'Result'].map((t) => h('th', {}, t)),
        ),
      ),
      h(
        'tbody',
        {},
        run.pis.map((p) =>
          h(
            'tr',
            { dataset: { pi: p.node, state: p.state } },
            h('td', {}, String(p.node)),
            h('td', {}, String(batchOf.get(p.node) ?? '')),
            h('td', {}, p.state),
            h('td', {}, p.phase ?? ''),
            h('td', {}, p.data ?? ''),
          ),
        ),
      ),
    ),
  );
}

export function renderRuns(ctx, root) {
  let list = root.querySelector('.runs-list');
  if (!list) {
    list = h('div', { class: 'runs-list' });
    replace(
      root,
      h(
        'div',
        { class: 'view-head' },
        h('h2', {}, 'Runs'),
        h(
          'p',
          { class: 'muted' },
          'Actions and rolling reboots on Pis, stacks or the rack. Disruptive ones roll: at most "max unavailable" Pis down at once, each back and Ready before the next batch.',
        ),
      ),
      form(ctx),
      list,
    );
  }
  const runs = ctx.state.runs ?? [];
  replace(list, runs.length === 0 ? h('p', { class: 'muted' }, 'No runs yet.') : runs.map(runCard));
}

/** Reads the runs again (after a `run` event); renders when done. */
export async function refreshRuns(ctx) {
  try {
    ctx.state.runs = (await api.get('/api/v1/runs')).runs;
    ctx.render();
  } catch {
    // The next event tries again.
  }
}
