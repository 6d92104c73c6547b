// Pure helpers shared by the views: a Pi's display state and human-readable numbers. No DOM here,
// so unit tests import this file directly.

/** Display states, in legend order. */
export const STATES = [
  { id: 'ready', label: 'Ready', short: 'Ready', hint: 'reachable and matching rack.yaml' },
  { id: 'converging', label: 'Converging', short: 'Converging', hint: 'reachable; changes pending or in progress' },
  { id: 'unreachable', label: 'Unreachable', short: 'Unreachable', hint: 'does not answer over SSH' },
  { id: 'quarantined', label: 'Quarantined', short: 'Quarantined', hint: 'host key changed; needs `pirack hostkey repin`' },
  { id: 'off', label: 'Powered off', short: 'Off', hint: 'its stack is switched off' },
];

export function condition(node, type) {
  return node.conditions.find((c) => c.type === type);
}

/** Which colour a Pi's tile gets. Power first: an off stack explains everything else about its Pis. */
export function piState(node, stack) {
  if (stack && stack.power === 'off') return 'off';
  if (node.quarantined) return 'quarantined';
  if (condition(node, 'Reachable')?.status === 'False') return 'unreachable';
  if (condition(node, 'Ready')?.status === 'True') return 'ready';
  return 'converging';
}

export function stateLabel(state, { short = false } = {}) {
  const s = STATES.find((x) => x.id === state);
  return (short ? s?.short : s?.label) ?? state;
}

/** A stack's health in words a person counts with: how many of its Pis answer. */
export function stackAnswering(stack, nodes) {
  const mine = nodes.filter((n) => n.stack === stack.id);
  const up = mine.filter((n) => condition(n, 'Reachable')?.status === 'True').length;
  return `${up}/${mine.length} up`;
}

/**
 * A search that is a label selector (`role=worker`, `zone!=top`, `!spare`): the daemon matches it
 * with its one selector module (GET /api/v1/pis?selector=), so the box and `pirack plan -l` agree.
 */
export function selectorOf(query) {
  const q = query.trim();
  if (q.startsWith('-l ')) return q.slice(3).trim();
  return /[=!]/.test(q) ? q : undefined;
}

/** Whether a Pi matches the search box: its id exactly, or part of its IP, MAC or hostname. */
export function matchesQuery(node, query) {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  if (String(node.id) === q || `pi ${node.id}` === q) return true;
  const o = node.observed;
  return [o.ip, o.mac, o.hostname].some((v) => typeof v === 'string' && v.toLowerCase().includes(q));
}

export function formatDuration(ms) {
  if (ms === undefined || ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const hh = Math.floor(m / 60);
  return hh < 48 ? `${hh} h ${m % 60} min` : `${Math.floor(hh / 24)} d ${hh % 24} h`;
}

export function formatUptime(seconds) {
  return seconds === undefined || seconds === null ? '—' : formatDuration(seconds * 1000);
}

/** "12 s ago", from an ISO time and a clock reading. */
export function formatAgo(iso, now = Date.now()) {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const ms = Math.max(0, now - t);
  return ms < 1500 ? 'just now' : `${formatDuration(ms)} ago`;
}

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso ?? '';
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatNumber(value, unit, digits = 0) {
  return typeof value === 'number' ? `${value.toFixed(digits)}${unit}` : '—';
}

/** Revisions are hashes or commits; the first 10 characters tell them apart for a person. */
export function shortRevision(rev) {
  if (!rev) return '—';
  const bare = rev.replace(/^sha256:/, '');
  return bare.length > 10 ? bare.slice(0, 10) : bare;
}
