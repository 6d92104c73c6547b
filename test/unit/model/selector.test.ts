import { describe, expect, it } from 'vitest';
import { isPiRackError } from '../../../src/errors.ts';
import { matches, parseSelector, selectNodes } from '../../../src/model/selector.ts';
import { parseRack } from '../../../src/config/load.ts';
import { stringify } from 'yaml';
import { baseRack, testOptions } from '../config/fixtures.ts';

function labelledRack() {
  const raw = baseRack();
  raw.stacks[0]!.labels = { zone: 'top' };
  raw.stacks[0]!.pis[0]!.labels = { role: 'worker' };
  raw.stacks[0]!.pis[1]!.labels = { role: 'db', zone: 'side' };
  raw.stacks[1]!.pis[0]!.labels = { role: 'worker', gpu: '' };
  const r = parseRack(stringify(raw), testOptions());
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.rack;
}

function selectorError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isPiRackError(err) && err.code === 'PIRACK_ERR_SELECTOR') return err.message;
    throw err;
  }
  throw new Error('expected PIRACK_ERR_SELECTOR');
}

describe('label selectors', () => {
  it('parses equality, inequality, existence and absence terms', () => {
    expect(parseSelector('role=worker, zone!=top,gpu,!spare')).toEqual([
      { op: '=', key: 'role', value: 'worker' },
      { op: '!=', key: 'zone', value: 'top' },
      { op: 'exists', key: 'gpu' },
      { op: '!exists', key: 'spare' },
    ]);
    expect(parseSelector('role==db')).toEqual([{ op: '=', key: 'role', value: 'db' }]);
  });

  it('matches labels as Kubernetes does (!= also matches a Pi without the key)', () => {
    expect(matches(parseSelector('role=worker'), { role: 'worker' })).toBe(true);
    expect(matches(parseSelector('role=worker'), { role: 'db' })).toBe(false);
    expect(matches(parseSelector('role!=db'), {})).toBe(true);
    expect(matches(parseSelector('!role'), { role: 'x' })).toBe(false);
    expect(matches(parseSelector('role,zone=top'), { role: 'x', zone: 'top' })).toBe(true);
  });

  it('refuses malformed selectors with what is wrong', () => {
    expect(selectorError(() => parseSelector(''))).toMatch(/empty/);
    expect(selectorError(() => parseSelector('role=worker,'))).toMatch(/empty term/);
    expect(selectorError(() => parseSelector('Role=x'))).toMatch(/not a label key/);
    expect(selectorError(() => parseSelector('!role=x'))).toMatch(/only before a bare key/);
    expect(selectorError(() => parseSelector('role=a b'))).toMatch(/not a label value/);
  });

  it('selects Pis by their own labels merged over their stack labels', () => {
    const rack = labelledRack();
    expect(selectNodes(rack, 'role=worker').map((n) => n.id)).toEqual([1, 3]);
    expect(selectNodes(rack, 'zone=top').map((n) => n.id)).toEqual([1]);
    expect(selectNodes(rack, 'zone').map((n) => n.id)).toEqual([1, 2]);
    expect(selectNodes(rack, 'gpu').map((n) => n.id)).toEqual([3]);
    expect(rack.stacks[0]?.labels).toEqual({ zone: 'top' });
  });

  it('an unknown label key is an error naming the keys the rack has, not an empty match', () => {
    const rack = labelledRack();
    const message = selectorError(() => selectNodes(rack, 'rol=worker'));
    expect(message).toContain('"rol"');
    expect(message).toContain('gpu, role, zone');
    expect(selectorError(() => selectNodes(rack, 'tier!=x'))).toContain('"tier"');
  });
});
