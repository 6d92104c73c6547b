import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT_BACKOFF } from '../../../src/ssh/backoff.ts';
import { backoffDelay } from '../../../src/util/backoff.ts';

describe('backoffDelay', () => {
  it('doubles from the base and caps (upper bound of the jitter)', () => {
    const policy = { baseMs: 500, maxMs: 30_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, policy, () => 1))).toEqual([
      0, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it('never overflows for a Pi dead for weeks', () => {
    expect(backoffDelay(100_000, DEFAULT_RECONNECT_BACKOFF, () => 1)).toBe(30_000);
  });

  it('jitters between half and the whole delay, so Pis that failed together spread out', () => {
    const policy = { baseMs: 1000, maxMs: 60_000 };
    expect(backoffDelay(3, policy, () => 0)).toBe(2_000);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(3_000);
    const draws = new Set(Array.from({ length: 50 }, () => backoffDelay(3, policy)));
    expect(draws.size).toBeGreaterThan(10);
    for (const d of draws) (expect(d).toBeGreaterThanOrEqual(2_000), expect(d).toBeLessThanOrEqual(4_000));
  });
});
