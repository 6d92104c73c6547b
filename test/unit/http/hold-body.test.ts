import { describe, expect, it } from 'vitest';
import { holdRequestOf, reconcileRequestOf } from '../../../src/http/routes/params.ts';

describe('suspend/resume body', () => {
  it('no body is the rack; a stack or a Pi with a reason and who', () => {
    expect(holdRequestOf(undefined)).toEqual({ target: { scope: 'rack' }, mark: { by: 'the API', reason: '' } });
    expect(holdRequestOf({ stack: 2, reason: 'new PSU', by: 'alice@master' })).toEqual({
      target: { scope: 'stack', id: 2 },
      mark: { by: 'alice@master', reason: 'new PSU' },
    });
    expect(holdRequestOf({ pi: 7 })).toMatchObject({ target: { scope: 'pi', id: 7 } });
  });

  it('refuses what it does not understand, saying what', () => {
    expect(holdRequestOf({ stack: 1, pi: 2 })).toEqual({ error: 'name a stack or a Pi, not both' });
    expect(holdRequestOf({ stack: '1' })).toEqual({ error: 'stack must be a positive whole number' });
    expect(holdRequestOf({ pi: 0 })).toEqual({ error: 'pi must be a positive whole number' });
    expect(holdRequestOf({ rack: true })).toMatchObject({ error: expect.stringMatching(/unknown field rack/) as string });
    expect(holdRequestOf({ reason: 'a\nb' })).toMatchObject({ error: expect.stringMatching(/reason must be text/) as string });
    expect(holdRequestOf({ reason: 'x'.repeat(201) })).toMatchObject({ error: expect.stringMatching(/at most 200/) as string });
    expect(holdRequestOf([1])).toMatchObject({ error: expect.stringMatching(/JSON object/) as string });
  });

  it('reconcile takes an optional list of Pi ids', () => {
    expect(reconcileRequestOf(undefined)).toEqual({});
    expect(reconcileRequestOf({ pis: [1, 3] })).toEqual({ pis: [1, 3] });
    expect(reconcileRequestOf({ pis: [] })).toMatchObject({ error: expect.any(String) as string });
    expect(reconcileRequestOf({ pis: ['1'] })).toMatchObject({ error: expect.any(String) as string });
    expect(reconcileRequestOf({ all: true })).toMatchObject({ error: expect.any(String) as string });
  });
});
