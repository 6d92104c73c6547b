/**
 * `pirack get` and `pirack describe`, rendered the way kubectl does: a table of one line per
 * object, or every fact about one object in labelled sections. Pure: the command fetches the
 * status report and the events.
 */
import { stringify } from 'yaml';
import type { Condition, NodeStatus, RackEvent, StackStatus, StatusReport } from '../model/status.ts';
import { table } from './output.ts';

export type OutputFormat = 'table' | 'json' | 'yaml';

const cond = (conditions: readonly Condition[] | undefined, type: string) => conditions?.find((c) => c.type === type);

function age(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : s < 172_800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86_400)}d`;
}

function piState(n: NodeStatus): string {
  if (n.suspended) return 'Suspended';
  if (n.quarantined) return 'Quarantined';
  if (cond(n.conditions, 'Ready')?.status === 'True') return 'Ready';
  const reachable = cond(n.conditions, 'Reachable');
  if (reachable?.status === 'False') return reachable.reason === 'PoweredOff' ? 'PoweredOff' : 'Unreachable';
  return 'NotReady';
}

export function pisTable(report: StatusReport, now: number): string {
  return table(
    ['PI', 'STACK', 'IP', 'STATUS', 'PENDING', 'CPU', 'TEMP', 'LAST SEEN'],
    report.nodes.map((n) => [
      String(n.id),
      String(n.stack),
      n.observed.ip,
      piState(n),
      String(n.pendingActions.length),
      n.observed.cpuPercent !== undefined ? `${Math.round(n.observed.cpuPercent)}%` : '-',
      n.observed.temperatureC !== undefined ? `${n.observed.temperatureC.toFixed(1)}°C` : '-',
      age(n.lastSeen, now),
    ]),
  );
}

export function stacksTable(report: StatusReport): string {
  return table(
    ['STACK', 'POWER', 'DESIRED', 'HEALTH', 'PIS', 'SUSPENDED'],
    report.stacks.map((s: StackStatus) => [
      String(s.id),
      s.power,
      `${s.desiredPower}${s.override ? ` (override by ${s.override.by})` : ''}`,
      s.health,
      s.nodes.join(','),
      s.suspended ? `${s.suspended.target} by ${s.suspended.by}` : '-',
    ]),
  );
}

/** kubectl-style `describe pi N`: identity, live health, conditions, pending actions, last error, events. */
export function describePi(report: StatusReport, id: number, events: readonly RackEvent[], now: number): string {
  const n = report.nodes.find((x) => x.id === id);
  if (!n) return '';
  const o = n.observed;
  const field = (k: string, v: string | number | undefined) => `${`${k}:`.padEnd(16)}${v ?? '-'}`;
  const lines = [
    field('Name', `pi ${n.id}`),
    field('Stack', n.stack),
    field('IP', o.ip),
    field('MAC', o.mac),
    field('Hostname', o.hostname),
    field('Status', piState(n)),
    field('Last seen', n.lastSeen ? `${n.lastSeen} (${age(n.lastSeen, now)} ago)` : undefined),
    ...(n.suspended
      ? [field('Suspended', `${n.suspended.target} by ${n.suspended.by} since ${n.suspended.at}: ${n.suspended.reason || '(no reason)'}`)]
      : []),
    'Health:',
    `  CPU ${o.cpuPercent !== undefined ? `${o.cpuPercent}%` : '-'}  temperature ${o.temperatureC !== undefined ? `${o.temperatureC}°C` : '-'}  memory ${o.memUsedPercent !== undefined ? `${o.memUsedPercent}%` : '-'}  load ${o.load1 ?? '-'}  uptime ${o.uptimeSeconds !== undefined ? `${Math.round(o.uptimeSeconds)}s` : '-'}`,
    'Conditions:',
    ...(n.conditions.length > 0
      ? table(
          ['TYPE', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
          n.conditions.map((c) => [c.type, c.status, c.reason, age(c.lastTransitionTime, now), c.message]),
        )
          .split('\n')
          .map((l) => `  ${l}`)
      : ['  (none yet)']),
    'Pending actions:',
    ...(n.pendingActions.length > 0 ? n.pendingActions.map((a) => `  ${a}`) : ['  (none)']),
    ...(n.lastError ? [field('Last error', `${n.lastError.code} at ${n.lastError.at}: ${n.lastError.message}`)] : []),
    'Events:',
    ...(events.length > 0
      ? table(
          ['AGE', 'KIND', 'RESULT', 'MESSAGE'],
          events.slice(-15).map((e) => [age(e.at, now), e.kind, e.result, e.message]),
        )
          .split('\n')
          .map((l) => `  ${l}`)
      : ['  (none kept)']),
  ];
  return lines.join('\n');
}

/** The events that concern a Pi: its own, and its stack's (power, cycles, shutdowns). */
export function eventsOfPi(events: readonly RackEvent[], report: StatusReport, id: number): RackEvent[] {
  const stack = report.nodes.find((n) => n.id === id)?.stack;
  return events.filter((e) => e.target === `pi ${id}` || (stack !== undefined && e.target === `stack ${stack}`));
}

export function formatObject(value: unknown, format: Exclude<OutputFormat, 'table'>): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
}
