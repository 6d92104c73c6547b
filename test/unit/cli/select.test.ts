import { describe, expect, it } from 'vitest';
import { parseIdList, selectNodes } from '../../../src/cli/select.ts';
import { makeRack } from '../dhcp/rack-fixture.ts';

const rack = makeRack([
  { id: 1, pis: [1, 2, 3] },
  { id: 2, pis: [4, 5, 6] },
]);

describe('selectNodes', () => {
  it('selects the whole rack without selectors', () => {
    const s = selectNodes(rack, {});
    expect(s.whole).toBe(true);
    expect(s.nodes.map((n) => n.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.stacks).toEqual([1, 2]);
  });

  it('selects the Pis of a stack, and Pis by id with their stacks', () => {
    expect(selectNodes(rack, { stack: '2' }).nodes.map((n) => n.id)).toEqual([4, 5, 6]);
    const pis = selectNodes(rack, { pi: '5, 1' });
    expect(pis.nodes.map((n) => n.id)).toEqual([1, 5]);
    expect(pis.stacks).toEqual([1, 2]);
    expect(pis.whole).toBe(false);
  });

  it('refuses an unknown stack or Pi, naming it and what exists', () => {
    expect(() => selectNodes(rack, { stack: '99' })).toThrow(/--stack: no stack 99 in .*\(its stacks: 1, 2\); nothing was done/);
    expect(() => selectNodes(rack, { pi: '7,8' })).toThrow(/--pi: no pis 7, 8 in .*its pis: 1, 2, 3, 4, 5, 6/);
    expect(() => selectNodes(rack, { stack: '1', pi: '4' })).toThrow(/--pi 4: not in --stack 1/);
  });

  it('refuses ids that are not positive whole numbers', () => {
    for (const bad of ['', 'x', '1,', '-1', '0', '1.5', '1e3']) {
      expect(() => parseIdList(bad, '--pi'), bad).toThrow(/--pi expects comma-separated ids/);
    }
    for (const bad of ['5-3', '0-2', '1-x']) expect(() => parseIdList(bad, '--pi'), bad).toThrow(/--pi expects comma-separated ids/);
    expect(parseIdList('3,3,1', '--stack')).toEqual([3, 1]);
    expect(parseIdList('1, 3-5', '--pi')).toEqual([1, 3, 4, 5]);
  });
});
