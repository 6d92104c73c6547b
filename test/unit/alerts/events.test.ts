import { describe, expect, it } from 'vitest';
import { alertFor } from '../../../src/alerts/events.ts';

const at = '2026-12-02T00:00:00.000Z';

describe('alerts from rack events', () => {
  it('maps node-lost and node-back to pi-lost and pi-back', () => {
    expect(alertFor({ kind: 'node-lost', target: 'pi 2', message: 'gone', result: 'info', at })?.event).toBe('pi-lost');
    expect(alertFor({ kind: 'node-back', target: 'pi 2', message: 'back', result: 'info', at })?.event).toBe('pi-back');
    expect(alertFor({ kind: 'file-write', target: 'pi 2', message: '', result: 'ok', at })).toBeUndefined();
  });
});
