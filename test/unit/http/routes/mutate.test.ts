import { describe, expect, it } from 'vitest';
import type { OperationResult } from '../../../../src/daemon/facade.ts';
import { bearer, harness } from '../harness.ts';

describe('mutation routes', () => {
  it.each([200, 202, 404, 409, 500] as const)('maps OperationResult code %i to the HTTP status and returns the result', async (code) => {
    const h = await harness();
    const result: OperationResult = { ok: code < 300, code, message: `code ${code}` };
    h.facade.result = result;
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/pis/3/reboot', headers: bearer });
    expect(res.statusCode).toBe(code);
    expect(res.json()).toEqual(result);
    await h.app.close();
  });

  it('passes targets, power operations and action names through to the facade', async () => {
    const h = await harness();
    const post = (url: string, payload?: object) => h.app.inject({ method: 'POST', url, headers: bearer, ...(payload ? { payload } : {}) });
    await post('/api/v1/stacks/2/power', { op: 'cycle' });
    await post('/api/v1/rack/power', { op: 'off' });
    await post('/api/v1/pis/7/actions/temperature');
    await post('/api/v1/stacks/3/actions/cpu');
    await post('/api/v1/rack/actions/uptime');
    await post('/api/v1/stacks/4/power/confirm');
    expect(h.facade.calls).toEqual([
      { method: 'power', args: [{ scope: 'stack', id: 2 }, 'cycle'] },
      { method: 'power', args: [{ scope: 'rack' }, 'off'] },
      { method: 'runAction', args: [{ scope: 'pi', id: 7 }, 'temperature'] },
      { method: 'runAction', args: [{ scope: 'stack', id: 3 }, 'cpu'] },
      { method: 'runAction', args: [{ scope: 'rack' }, 'uptime'] },
      { method: 'confirmManualPower', args: [4] },
    ]);
    await h.app.close();
  });

  it('refuses action names that could smuggle anything into a command line', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/rack/actions/cpu%3Brm%20-rf', headers: bearer });
    expect(res.statusCode).toBe(400);
    expect(h.facade.calls).toEqual([]);
    await h.app.close();
  });
});
