import { describe, expect, it } from 'vitest';
import { selectorOf } from '../../../src/cli/commands/run.ts';
import { runRequestOf } from '../../../src/http/routes/runs.ts';

describe('where a run goes: the CLI flags and the API body make the same selector', () => {
  it('takes one scope, or -l alone for the labelled Pis of the whole rack', () => {
    expect(selectorOf({ pi: '1,3-4' })).toEqual({ scope: 'pi', ids: [1, 3, 4] });
    expect(selectorOf({ stack: '2', selector: 'role=worker' })).toEqual({ scope: 'stack', ids: [2], labels: 'role=worker' });
    expect(selectorOf({ selector: 'role=worker' })).toEqual({ scope: 'rack', labels: 'role=worker' });
    expect(selectorOf({ all: true })).toEqual({ scope: 'rack' });
    expect(() => selectorOf({})).toThrow(/say where/);
    expect(() => selectorOf({ pi: '1', all: true })).toThrow(/say where/);
    expect(() => selectorOf({ pi: 'x' })).toThrow(/--pi expects comma-separated ids/);
  });

  it('reads the same from a POST /api/v1/runs body', () => {
    expect(runRequestOf({ action: 'cpu', selector: 'role=worker' })).toMatchObject({ selector: { scope: 'rack', labels: 'role=worker' } });
    expect(runRequestOf({ action: 'cpu', stacks: [1], selector: 'zone!=top' })).toMatchObject({
      selector: { scope: 'stack', ids: [1], labels: 'zone!=top' },
    });
    expect(runRequestOf({ action: 'cpu', pis: [2] })).toMatchObject({ selector: { scope: 'pi', ids: [2] } });
    expect(runRequestOf({ action: 'cpu' })).toMatch(/give one of pis, stacks or rack, or a selector/);
    expect(runRequestOf({ action: 'cpu', pis: [1], rack: true })).toMatch(/got pis and rack/);
  });
});
