import { describe, expect, it } from 'vitest';
import {
  clearCycleRequest,
  clearPowerOverrides,
  effectiveRack,
  emptyOperatorState,
  liftStale,
  poweredOffBy,
  requestCycle,
  setPowerOverride,
  stackDesired,
} from '../../../src/reconcile/operator-layer.ts';
import { makeRack } from '../dhcp/rack-fixture.ts';

const rack = makeRack([
  { id: 1, pis: [1] },
  { id: 2, power: 'off', pis: [2] },
]);
const off1 = setPowerOverride(emptyOperatorState, { stack: 1, power: 'off', by: 'alice', at: 5, revision: 'rev-1' });

describe('operator layer', () => {
  it('an override is a layer over rack.yaml, seen by the stack and by its Pis', () => {
    expect(effectiveRack(rack, off1).stacks.map((s) => s.power)).toEqual(['off', 'off']);
    expect(stackDesired(rack, off1, 1)).toMatchObject({ power: 'off', override: { by: 'alice', at: 5 } });
    expect(poweredOffBy(rack, off1, 1)).toBe('alice');
    expect(poweredOffBy(rack, off1, 2)).toBe('rack.yaml');
    expect(poweredOffBy(rack, emptyOperatorState, 1)).toBeUndefined();
  });

  it('the next rack.yaml revision or an explicit clear lifts it', () => {
    expect(liftStale(off1, 'rev-2').overrides).toEqual([]);
    expect(liftStale(off1, 'rev-1')).toBe(off1);
    expect(effectiveRack({ ...rack, revision: 'rev-2' }, off1).stacks[0]?.power).toBe('on');
    expect(clearPowerOverrides(off1, [1]).overrides).toEqual([]);
  });

  it('a cycle request is a one-off the stack key honours, cleared after it ran', () => {
    const asked = requestCycle(emptyOperatorState, 2, { by: 'bob', at: 10 });
    expect(stackDesired(rack, asked, 2)?.cycleRequest).toEqual({ by: 'bob', at: 10 });
    expect(stackDesired(rack, clearCycleRequest(asked, 2, 10), 2)?.cycleRequest).toBeUndefined();
    // A newer request made while the cycle ran is kept.
    expect(clearCycleRequest(requestCycle(asked, 2, { by: 'bob', at: 20 }), 2, 10).cycleRequests).toHaveLength(1);
  });
});
