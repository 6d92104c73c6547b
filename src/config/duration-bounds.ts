/**
 * What each duration in rack.yaml may be. Every maximum stays far below Node's timer limit
 * (2^31-1 ms, about 24.8 days): a longer delay overflows and fires after 1 ms, so `resyncInterval:
 * 1000h` would resync in a tight loop and `minOff: 1000h` would be a 1 ms power cycle. Minima stop
 * values that turn a safety delay into none; they stay low enough for the lab and the tests
 * (`resyncInterval: 2s`, `minOff: 2s`, `afterUnreachable: 10s`). Only `relay.stagger` may be 0,
 * where it means "switch stacks together".
 */
import { durationMs } from './duration.ts';
import type { RawDuration, RawRack } from './raw.ts';
import type { UnplacedProblem } from './problem.ts';
import { humanPath } from './problem.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

/** [path in rack.yaml, minimum ms, maximum ms]. */
export const DURATION_BOUNDS: readonly (readonly [readonly string[], number, number])[] = [
  [['ssh', 'connectTimeout'], 100, 10 * M],
  [['ssh', 'execTimeout'], 1 * S, 24 * H],
  [['ssh', 'keepaliveInterval'], 1 * S, 1 * H],
  [['relay', 'stagger'], 0, 1 * M],
  [['policies', 'powerCycle', 'afterUnreachable'], 10 * S, 24 * H],
  [['policies', 'powerCycle', 'minOff'], 1 * S, 10 * M],
  [['policies', 'aptListsMaxAge'], 1 * M, 14 * 24 * H],
  [['policies', 'dpkgLockTimeout'], 1 * S, 1 * H],
  [['policies', 'resyncInterval'], 2 * S, 24 * H],
  [['policies', 'backoff', 'base'], 100, 10 * M],
  [['policies', 'backoff', 'max'], 1 * S, 24 * H],
  [['policies', 'enlistWindow'], 5 * S, 24 * H],
];

/** 90000 → "90s", 7200000 → "2h": the shortest exact way rack.yaml can write it. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, size] of [
    ['h', H],
    ['m', M],
    ['s', S],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function valueAt(rack: unknown, path: readonly string[]): unknown {
  let node = rack;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function asMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? durationMs(value) : undefined;
  if (typeof value === 'string' && /^\d+(ms|s|m|h)$/.test(value)) return durationMs(value as RawDuration);
  return undefined; // a shape the schema reports
}

export function durationBounds(rack: RawRack): UnplacedProblem[] {
  const out: UnplacedProblem[] = [];
  for (const [path, min, max] of DURATION_BOUNDS) {
    const raw = valueAt(rack, path);
    const ms = asMs(raw);
    if (ms === undefined) continue;
    if (ms < min || ms > max) {
      const range = `from ${formatDuration(min)} to ${formatDuration(max)}`;
      const why = min === 0 ? '' : ms === 0 ? ' (0 would turn it off, which this setting does not allow)' : '';
      out.push({
        segments: [...path],
        message: `${humanPath(path)} ${typeof raw === 'string' ? JSON.stringify(raw) : String(raw)} is out of range: it must be ${range}${why}`,
        hint: `Use a duration ${range}.`,
      });
    }
  }
  const base = asMs(valueAt(rack, ['policies', 'backoff', 'base']));
  const max = asMs(valueAt(rack, ['policies', 'backoff', 'max']));
  if (base !== undefined && max !== undefined && base > max) {
    out.push({
      segments: ['policies', 'backoff', 'base'],
      message: `policies.backoff.base ${formatDuration(base)} is longer than policies.backoff.max ${formatDuration(max)}`,
      hint: 'The first retry delay cannot exceed the cap; lower base or raise max.',
    });
  }
  return out;
}
