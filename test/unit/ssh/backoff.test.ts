import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RECONNECT_BACKOFF } from '../../../src/ssh/backoff.ts';

describe('backoffDelay', () => {
  it('is zero before any failure, then doubles from the base up to the cap', () => {
    const policy = { baseMs: 500, maxMs: 30_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, policy))).toEqual([0, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('stays finite for a Pi that has failed for weeks', () => {
    expect(backoffDelay(100_000, DEFAULT_RECONNECT_BACKOFF)).toBe(30_000);
  });
});
