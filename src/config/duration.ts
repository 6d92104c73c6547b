import type { RawDuration } from './raw.ts';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * Durations as rack.yaml writes them: `500ms`, `10s`, `5m`, `1h`, or a plain number of seconds.
 * The schema has already checked the shape; a shape it did not allow is a programmer error.
 */
export function durationMs(value: RawDuration): number {
  if (typeof value === 'number') return Math.round(value * 1000);
  const m = /^(\d+)(ms|s|m|h)$/.exec(value);
  if (!m) throw new TypeError(`not a duration: ${value}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}
