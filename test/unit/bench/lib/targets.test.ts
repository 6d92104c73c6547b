import { describe, expect, it } from 'vitest';
import { checkTarget, TARGETS } from '../../../../bench/lib/targets.ts';

describe('checkTarget', () => {
  it('judges each goal at its boundary the way the issue words it', () => {
    expect(checkTarget('noopVsAnsible', 20).met).toBe(true);
    expect(checkTarget('noopVsAnsible', 19.9).met).toBe(false);
    expect(checkTarget('noopVsBaseline', 2).met).toBe(true);
    expect(checkTarget('noopVsBaseline', 2.01).met).toBe(false);
    expect(checkTarget('convergeVsBaseline', 1.5).met).toBe(true);
    expect(checkTarget('convergeVsBaseline', 1.51).met).toBe(false);
    expect(checkTarget('driftP50', 2999).met).toBe(true);
    expect(checkTarget('driftP50', 3000).met).toBe(false);
    expect(checkTarget('restRss', 119.9).met).toBe(true);
    expect(checkTarget('restRss', 120).met).toBe(false);
    expect(checkTarget('restCpu', 1.99).met).toBe(true);
    expect(checkTarget('restCpu', 2).met).toBe(false);
    expect(checkTarget('scalePass', 49.9).met).toBe(true);
    expect(checkTarget('scalePass', 50).met).toBe(false);
  });

  it('never calls a NaN measurement met', () => {
    expect(checkTarget('restCpu', Number.NaN).met).toBe(false);
  });

  it('carries the goal text and the value it judged', () => {
    expect(checkTarget('driftP50', 1200)).toEqual({ id: 'driftP50', goal: TARGETS.driftP50.goal, value: 1200, met: true });
  });
});
