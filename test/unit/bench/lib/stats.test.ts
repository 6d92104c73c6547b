import { describe, expect, it } from 'vitest';
import { median, percentile, ratiosByRun, round3, summarize } from '../../../../bench/lib/stats.ts';

describe('median and percentile', () => {
  it('takes the middle value of an odd count and the mean of the two middles of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('interpolates between closest ranks', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(20);
    expect(percentile(values, 95)).toBeCloseTo(19.05, 10);
  });

  it('refuses an empty list and an out-of-range percentile', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it("does not reorder the caller's array", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  it('keeps every run in order with median, min and max', () => {
    expect(summarize([30, 10, 20], 'ms')).toEqual({ median: 20, min: 10, max: 30, runs: [30, 10, 20], unit: 'ms' });
  });

  it('needs at least one run', () => {
    expect(() => summarize([], 'ms')).toThrow(RangeError);
  });
});

describe('ratiosByRun', () => {
  it('divides run i by run i, not median by median', () => {
    // Medians would give 20/2 = 10; run by run the slow second run cancels out.
    expect(ratiosByRun([10, 40, 20], [1, 4, 2])).toEqual([10, 10, 10]);
  });

  it('uses the runs both sides have', () => {
    expect(ratiosByRun([6, 8, 10], [3, 4])).toEqual([2, 2]);
  });

  it('refuses a zero or negative denominator instead of reporting Infinity', () => {
    expect(() => ratiosByRun([1], [0])).toThrow(/not positive/);
    expect(() => ratiosByRun([], [])).toThrow(RangeError);
  });
});

describe('round3', () => {
  it('keeps three significant digits', () => {
    expect(round3(1234.5)).toBe(1230);
    expect(round3(0.012345)).toBe(0.0123);
    expect(round3(0)).toBe(0);
  });
});
