import { describe, expect, it } from 'vitest';
import {
  legacyExecuteBody,
  legacyPower,
  legacyRasps,
  legacyStackOptions,
  legacyStacks,
  resolveActionName,
} from '../../../../src/http/legacy/shapes.ts';
import { sampleStatus } from '../fake-facade.ts';

describe('legacy shapes', () => {
  it('lists Pis with exactly the original fields, reachability as ok/ko and the stack power', () => {
    const { rasps } = legacyRasps(sampleStatus());
    expect(rasps).toHaveLength(8);
    expect(Object.keys(rasps[0] ?? {}).sort()).toEqual(
      ['Lping', 'Rstatus', 'cpu', 'id', 'ip', 'mac', 'power', 'stack', 'temperature'].sort(),
    );
    expect(rasps[0]).toEqual({
      id: 1,
      mac: 'b8:27:eb:00:00:01',
      ip: '10.77.0.70',
      stack: 1,
      power: 'On',
      cpu: 4,
      temperature: 40.5,
      Lping: '2026-11-24T08:00:00.000Z',
      Rstatus: 'okStatus',
    });
    expect(rasps.find((r) => r.id === 5)?.Rstatus).toBe('koStatus');
    // A Pi never probed: empty MAC and nulls rather than missing fields, so old clients do not break.
    expect(rasps.find((r) => r.id === 7)).toMatchObject({ mac: '', cpu: null, temperature: null, power: 'Off' });
  });

  it('lists stacks with On/Off and the original status words', () => {
    expect(legacyStacks(sampleStatus()).stacks).toEqual([
      { id: 1, power: 'On', Sstatus: 'okStatus', x: 1, y: 1 },
      { id: 2, power: 'On', Sstatus: 'warningStatus', x: 1, y: 2 },
      { id: 3, power: 'Off', Sstatus: 'koStatus', x: 2, y: 1 },
    ]);
    expect(legacyPower('unknown')).toBe('Unknown');
  });

  it('offers the power words first for stacks, without duplicates', () => {
    expect(legacyStackOptions(['cpu', 'ping', 'reboot']).actions).toEqual(['ping', 'shutdown', 'reboot', 'cpu']);
  });

  it('matches the original capitalised action names to declared ones', () => {
    const names = ['cpu', 'temperature', 'ping'];
    expect(resolveActionName('Temperature', names)).toBe('temperature');
    expect(resolveActionName('cpu', names)).toBe('cpu');
    expect(resolveActionName('format-disk', names)).toBeUndefined();
  });

  it('answers execute as {status, data}, with the first output line when there is one', () => {
    expect(legacyExecuteBody({ code: 200, message: 'done', data: '42.8' })).toEqual({ status: 200, data: '42.8' });
    expect(legacyExecuteBody({ code: 404, message: 'no Pi 99' })).toEqual({ status: 404, data: 'no Pi 99' });
  });
});
