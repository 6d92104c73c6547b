import { describe, expect, it } from 'vitest';
import { measurementOf } from '../../../src/daemon/actions.ts';
import { ObservedStore } from '../../../src/reconcile/observed-store.ts';

describe('execute cpu/temperature values for the Pi resource', () => {
  it('reads the built-ins and vcgencmd answers, and nothing from failures or other actions', () => {
    expect(measurementOf('cpu', { ok: true, data: '12.5' })).toEqual({ cpuPercent: 12.5 });
    expect(measurementOf('Temperature', { ok: true, data: "temp=45.2'C" })).toEqual({ temperatureC: 45.2 });
    expect(measurementOf('temperature', { ok: true, data: '38.0' })).toEqual({ temperatureC: 38 });
    expect(measurementOf('temperature', { ok: true, data: 'unavailable' })).toBeUndefined();
    expect(measurementOf('cpu', { ok: false, data: '12' })).toBeUndefined();
    expect(measurementOf('cpu', { ok: true, data: '250' })).toBeUndefined();
    expect(measurementOf('uptime', { ok: true, data: '12' })).toBeUndefined();
  });

  it('the store keeps the measured value in the Pi health and tells its listeners', () => {
    const store = new ObservedStore();
    const seen: string[] = [];
    store.subscribe((c) => seen.push(`${c.scope}:${'id' in c ? c.id : ''}:${c.what}`));
    store.recordMeasurement(3, { cpuPercent: 7 });
    store.recordMeasurement(3, { temperatureC: 41.5 });
    expect(store.node(3)?.health).toEqual({ cpuPercent: 7, temperatureC: 41.5 });
    expect(seen).toEqual(['node:3:measurement', 'node:3:measurement']);
  });
});
