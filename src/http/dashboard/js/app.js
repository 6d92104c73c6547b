// The dashboard's entry point: session, routing between views, the live event stream, and the
// one `run` through which every action passes (confirm → POST → toast).
import { ApiError, api } from './api.js';
import { $ } from './dom.js';
import { confirmAction, toast } from './feedback.js';
import { renderDetail } from './views/detail.js';
import { renderEnlistment } from './views/enlistment.js';
import { renderEvents } from './views/events.js';
import { renderHeader } from './views/header.js';
import { renderPlan } from './views/plan.js';
import { renderRack } from './views/rack.js';
import { refreshRuns, renderRuns } from './views/runs.js';

const VIEWS = ['rack', 'plan', 'events', 'enlistment', 'runs'];
const MAX_EVENTS = 1000;

const state = {
  status: null,
  events: [],
  actions: [],
  selectedPi: null,
  query: '',
  /** The daemon's answer to a label-selector search: {query, ids} or {query, error}. */
  selection: null,
  view: 'rack',
  plan: null,
  planError: null,
  planLoading: false,
};
let stream = null;
let planStatusAt = '';

const ctx = {
  state,
  render,
  openPi(id) {
    state.selectedPi = id;
    render();
    if (id !== null) $('#detail').querySelector('.detail-head button')?.focus({ preventScroll: true });
  },
  async run(request) {
    const ok = await confirmAction(request);
    if (!ok) return;
    try {
      const result = await api.operate(request.url, request.body);
      const what = request.title.replace(/\?$/, '');
      // An action's output (cpu, uptime…) is what the person ran it for: show it, not only "done".
      const output = typeof result.data === 'string' && result.data.trim() !== '' ? ` → ${result.data.trim().slice(0, 200)}` : '';
      toast(`${what}: ${result.message || (result.ok ? 'done' : 'failed')}${output}`, result.ok ? 'ok' : 'error');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return showLogin('Your session expired; log in again.');
      toast(error.message, 'error');
    }
  },
  async loadPlan() {
    state.planLoading = true;
    render();
    try {
      state.plan = (await api.get('/api/v1/plan')).plan;
      state.planError = null;
    } catch (error) {
      state.planError = error.message;
    }
    state.planLoading = false;
    render();
  },
};

function render() {
  if (!state.status) return;
  renderHeader(ctx);
  // The detail panel starts below the header, whose height depends on how its rows wrap.
  document.documentElement.style.setProperty('--topbar-h', `${$('.topbar').offsetHeight}px`);
  for (const view of VIEWS) $(`#view-${view}`).hidden = view !== state.view;
  for (const a of document.querySelectorAll('.tabs a')) a.setAttribute('aria-current', a.dataset.view === state.view ? 'page' : 'false');
  const root = $(`#view-${state.view}`);
  if (state.view === 'rack') renderRack(ctx, root);
  else if (state.view === 'plan') renderPlan(ctx, root, state.plan, { loading: state.planLoading, error: state.planError });
  else if (state.view === 'events') renderEvents(ctx, root);
  else if (state.view === 'runs') renderRuns(ctx, root);
  else renderEnlistment(ctx, root);
  renderDetail(ctx);
}

function route() {
  const name = location.hash.replace(/^#\/?/, '');
  state.view = VIEWS.includes(name) ? name : 'rack';
  if (state.view === 'plan') ctx.loadPlan();
  if (state.view === 'runs') refreshRuns(ctx);
  render();
}

function setLive(mode) {
  const el = $('#live');
  el.className = `live live-${mode}`;
  el.textContent = mode === 'on' ? 'Live' : mode === 'off' ? 'Offline' : 'Reconnecting…';
}

function connect() {
  stream?.close();
  const after = state.events.at(-1)?.seq;
  stream = new EventSource(`/api/v1/events/stream${after === undefined ? '' : `?after=${after}`}`);
  stream.addEventListener('open', () => setLive('on'));
  stream.addEventListener('status', (message) => {
    state.status = JSON.parse(message.data);
    if (state.view === 'plan' && state.status.generatedAt !== planStatusAt) {
      planStatusAt = state.status.generatedAt;
      ctx.loadPlan();
    }
    render();
  });
  stream.addEventListener('rack', (message) => {
    const event = JSON.parse(message.data);
    if (state.events.at(-1)?.seq >= event.seq) return;
    state.events.push(event);
    if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
    // A run's progress: its report is read again, so the runs view follows it live.
    if (event.kind === 'run') refreshRuns(ctx);
    render();
  });
  stream.addEventListener('error', async () => {
    if (stream.readyState !== EventSource.CLOSED) return setLive('wait');
    // The browser gave up: a non-200 answer, most likely an expired session.
    setLive('off');
    const session = await api.get('/api/v1/session').catch(() => null);
    if (session && !session.authenticated && session.readAccess === 'authenticated')
      return showLogin('Your session expired; log in again.');
    setTimeout(connect, 3000);
  });
}

async function start() {
  const [status, events, actions] = await Promise.all([api.get('/api/v1/status'), api.get('/api/v1/events'), api.get('/api/v1/actions')]);
  state.status = status;
  state.events = events.events.slice(-MAX_EVENTS);
  state.actions = actions.actions;
  $('#login').hidden = true;
  $('#app').hidden = false;
  route();
  connect();
}

function showLogin(message = '') {
  stream?.close();
  stream = null;
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message;
  $('#login-token').focus();
}

async function boot() {
  $('#login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('#login-token');
    try {
      await api.post('/api/v1/login', { token: input.value });
      input.value = '';
      await start();
    } catch (error) {
      $('#login-error').textContent =
        error.status === 429
          ? 'Too many attempts; wait a minute and try again.'
          : error.status === 401
            ? 'That token is not right.'
            : error.message;
    }
  });
  $('#logout').addEventListener('click', async () => {
    await api.post('/api/v1/logout').catch(() => undefined);
    showLogin();
  });
  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.selectedPi !== null && !$('#confirm').open) ctx.openPi(null);
  });
  // Relative times ("12 s ago") age even when nothing new arrives.
  setInterval(() => render(), 10_000);

  const session = await api.get('/api/v1/session');
  if (session.authenticated) await start();
  else showLogin();
}

boot().catch((error) => showLogin(`Cannot reach the daemon: ${error.message}`));
