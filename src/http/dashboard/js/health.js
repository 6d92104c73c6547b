// A Pi's health for the tiles and the detail view. The watch stream's last heartbeat arrives as
// `node.health` (CPU over the last second, temperature, throttling, disk, `at` = when it was
// heard); without a stream the probe's figures in `node.observed` stand in, as before.
import { formatAgo, formatNumber, formatUptime } from './format.js';

/** vcgencmd get_throttled bits, from the Raspberry Pi documentation. */
export const THROTTLE_FLAGS = [
  [0, 'under-voltage now'],
  [1, 'frequency capped now'],
  [2, 'throttled now'],
  [3, 'soft temperature limit now'],
  [16, 'under-voltage since boot'],
  [17, 'frequency capped since boot'],
  [18, 'throttled since boot'],
  [19, 'soft temperature limit since boot'],
];

/** The figures to show, live where the stream gives them. */
export function healthOf(node) {
  const live = node.health ?? null;
  const o = node.observed ?? {};
  const memUsedPercent = live && live.memTotalKb > 0 ? (100 * (live.memTotalKb - live.memAvailableKb)) / live.memTotalKb : o.memUsedPercent;
  return {
    live: live !== null,
    at: live?.at ?? null,
    cpuPercent: live?.cpuPercent ?? o.cpuPercent ?? null,
    temperatureC: live?.temperatureC ?? o.temperatureC ?? null,
    memUsedPercent: memUsedPercent ?? null,
    load1: live?.load1 ?? o.load1 ?? null,
    uptimeSeconds: live?.uptimeSeconds ?? o.uptimeSeconds ?? null,
    diskFreeBytes: live?.diskFreeBytes ?? null,
    throttled: live?.throttled ?? null,
  };
}

/** Names of the flags set in `bits`; [] for none, null when the Pi cannot tell. */
export function decodeThrottled(bits) {
  if (typeof bits !== 'number') return null;
  return THROTTLE_FLAGS.filter(([bit]) => (bits & (1 << bit)) !== 0).map(([, name]) => name);
}

export function formatBytes(n) {
  if (typeof n !== 'number') return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i === 0 || v >= 100 ? 0 : 1)} ${units[i]}`;
}

/** The tile's one line: "12% · 47°C", with a warning sign while the Pi is under-voltage or throttled now. */
export function tileHealthText(node) {
  const h = healthOf(node);
  const now = decodeThrottled(h.throttled)?.some((f) => f.endsWith(' now')) ?? false;
  return `${formatNumber(h.cpuPercent, '%')} · ${formatNumber(h.temperatureC, '°C')}${now ? ' ⚠' : ''}`;
}

/** Label/value rows for the detail view. */
export function healthFacts(node, now = Date.now()) {
  const h = healthOf(node);
  const flags = decodeThrottled(h.throttled);
  return [
    ['CPU', formatNumber(h.cpuPercent, ' %', 1)],
    ['Temperature', formatNumber(h.temperatureC, ' °C', 1)],
    ['Uptime', formatUptime(h.uptimeSeconds)],
    ['Load (1 min)', formatNumber(h.load1, '', 2)],
    ['Memory used', formatNumber(h.memUsedPercent, ' %')],
    ['Disk free', formatBytes(h.diskFreeBytes)],
    ['Power', flags === null ? '—' : flags.length === 0 ? 'ok' : flags.join(', ')],
    ['Last heartbeat', h.live ? formatAgo(h.at, now) : 'no stream (polled)'],
  ];
}
