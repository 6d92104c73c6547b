import { describe, expect, it } from 'vitest';
import { OpeningGate } from '../../../src/stream/opening-gate.ts';

describe('the opening gate: a few watch streams wait for their hello at once', () => {
  it('starts up to the limit at once, the rest in order as slots are given back', () => {
    const gate = new OpeningGate(2);
    const started: number[] = [];
    const leave = [1, 2, 3, 4].map((n) => gate.enter(() => started.push(n)));
    expect(started).toEqual([1, 2]);
    leave[0]!();
    expect(started).toEqual([1, 2, 3]);
    leave[0]!(); // a second call gives nothing back twice
    expect(started).toEqual([1, 2, 3]);
    leave[1]!();
    leave[2]!();
    expect(started).toEqual([1, 2, 3, 4]);
    leave[3]!();
    expect(gate.free).toBe(2);
  });

  it('a stream that leaves before its turn never starts and takes no slot', () => {
    const gate = new OpeningGate(1);
    const started: string[] = [];
    const first = gate.enter(() => started.push('a'));
    const second = gate.enter(() => started.push('b'));
    const third = gate.enter(() => started.push('c'));
    second();
    first();
    expect(started).toEqual(['a', 'c']);
    third();
    expect(gate.free).toBe(1);
  });
});
