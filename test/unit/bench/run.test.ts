import { describe, expect, it } from 'vitest';
import { EXECUTION_ORDER, labShape } from '../../../bench/run.ts';
import { SCENARIO_IDS } from '../../../bench/lib/results.ts';
import { parseOnly } from '../../../src/cli/commands/bench.ts';

describe('labShape', () => {
  it('uses stacks of at most 12 Pis, like the original 4 × 12 rack', () => {
    expect(labShape(48)).toEqual({ stacks: 4, perStack: 12 });
    expect(labShape(2)).toEqual({ stacks: 1, perStack: 2 });
    expect(labShape(13)).toEqual({ stacks: 2, perStack: 12 });
    expect(() => labShape(0)).toThrow(RangeError);
  });
});

describe('execution order', () => {
  it('runs every scenario once, the lab-free one first and converge (which reboots the lab) last', () => {
    expect([...EXECUTION_ORDER].sort()).toEqual([...SCENARIO_IDS].sort());
    expect(EXECUTION_ORDER[0]).toBe('scale');
    expect(EXECUTION_ORDER.at(-1)).toBe('converge');
  });
});

describe('parseOnly', () => {
  it('accepts known scenario ids and refuses others with a usage error', () => {
    expect(parseOnly('noop, scale')).toEqual(['noop', 'scale']);
    expect(parseOnly(undefined)).toEqual([]);
    expect(() => parseOnly('noop,fast')).toThrow(/unknown scenario\(s\) fast/);
  });
});
