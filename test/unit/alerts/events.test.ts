import { describe, expect, it } from 'vitest';
import { alertFor, onceUntilBack, type Alert } from '../../../src/alerts/events.ts';

const at = '2026-12-02T00:00:00.000Z';
const alert = (event: Alert['event'], target: string): Alert => ({ event, target, message: '', at });

describe('alerts from rack events', () => {
  it('maps node-lost and node-back to pi-lost and pi-back', () => {
    expect(alertFor({ kind: 'node-lost', target: 'pi 2', message: 'gone', result: 'info', at })?.event).toBe('pi-lost');
    expect(alertFor({ kind: 'node-back', target: 'pi 2', message: 'back', result: 'info', at })?.event).toBe('pi-back');
    expect(alertFor({ kind: 'file-write', target: 'pi 2', message: '', result: 'ok', at })).toBeUndefined();
  });

  it('says a Pi is lost once until it is back, per Pi (the stream and a pass both notice a loss)', () => {
    const first = onceUntilBack();
    const seen = [
      alert('pi-lost', 'pi 2'),
      alert('pi-lost', 'pi 2'),
      alert('pi-lost', 'pi 1'),
      alert('pi-back', 'pi 2'),
      alert('pi-lost', 'pi 2'),
      alert('stack-power-cycled', 'stack 1'),
    ].filter(first);
    expect(seen.map((a) => `${a.event} ${a.target}`)).toEqual([
      'pi-lost pi 2',
      'pi-lost pi 1',
      'pi-back pi 2',
      'pi-lost pi 2',
      'stack-power-cycled stack 1',
    ]);
  });
});
