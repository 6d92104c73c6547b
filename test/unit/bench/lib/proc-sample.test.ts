import { describe, expect, it } from 'vitest';
import { cpuPercentBetween, parseCpuTicks, parseVmRss, windowedCpu } from '../../../../bench/lib/proc-sample.ts';

// A real /proc/PID/stat line, with a command name holding a space and a parenthesis.
const STAT =
  '4242 (node (pirack) x) S 1 4242 4242 0 -1 4194560 12345 0 0 0 731 269 0 0 20 0 11 0 123456 1234567890 25000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0';

describe('proc parsing', () => {
  it('reads VmRSS in kB', () => {
    expect(parseVmRss('Name:\tnode\nVmPeak:\t 900000 kB\nVmRSS:\t   81234 kB\nThreads: 11\n')).toBe(81234);
    expect(() => parseVmRss('Name: zombie\n')).toThrow(/VmRSS/);
  });

  it('adds utime and stime even when the command name has spaces and parentheses', () => {
    expect(parseCpuTicks(STAT)).toBe(731 + 269);
  });
});

describe('CPU share', () => {
  it('is ticks over elapsed seconds, as a percent of one core', () => {
    expect(cpuPercentBetween({ at: 0, rssKb: 0, cpuTicks: 100 }, { at: 10_000, rssKb: 0, cpuTicks: 110 }, 100)).toBeCloseTo(1, 10);
    expect(() => cpuPercentBetween({ at: 5, rssKb: 0, cpuTicks: 0 }, { at: 5, rssKb: 0, cpuTicks: 0 }, 100)).toThrow(RangeError);
  });

  it('cuts samples into consecutive windows', () => {
    const samples = [0, 1, 2, 3, 4].map((i) => ({ at: i * 1000, rssKb: 1, cpuTicks: i * i }));
    // Windows of 2 intervals: 0→2 (4 ticks in 2 s), 2→4 (12 ticks in 2 s).
    expect(windowedCpu(samples, 2, 100)).toEqual([2, 6]);
  });
});
