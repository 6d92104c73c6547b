/** The original PiRack's /api/v1.0 endpoints, shape by shape. */
import { describe, expect, it } from 'vitest';
import { bearer, harness } from '../harness.ts';

describe('original /api/v1.0 endpoints', () => {
  it('GET /rasps and /rasps/:id have the original fields', async () => {
    const h = await harness();
    const list = (await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps' })).json();
    expect(Object.keys(list)).toEqual(['rasps']);
    expect(list.rasps).toHaveLength(8);
    for (const r of list.rasps)
      expect(Object.keys(r).sort()).toEqual(['Lping', 'Rstatus', 'cpu', 'id', 'ip', 'mac', 'power', 'stack', 'temperature']);
    const one = (await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps/5' })).json();
    expect(one).toMatchObject({ id: 5, stack: 2, ip: '10.77.0.74', power: 'On', Rstatus: 'koStatus' });
    expect((await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps/42' })).statusCode).toBe(404);
    await h.app.close();
  });

  it('GET /rasps/options and /stacks/options list actions', async () => {
    const h = await harness();
    expect((await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps/options' })).json()).toEqual({
      actions: ['cpu', 'temperature', 'ping', 'reboot', 'uptime'],
    });
    expect((await h.app.inject({ method: 'GET', url: '/api/v1.0/stacks/options' })).json()).toEqual({
      actions: ['ping', 'shutdown', 'reboot', 'cpu', 'temperature', 'uptime'],
    });
    await h.app.close();
  });

  it('GET /stacks and /stacks/:id have id, power On/Off, Sstatus, x, y', async () => {
    const h = await harness();
    const list = (await h.app.inject({ method: 'GET', url: '/api/v1.0/stacks' })).json();
    expect(list).toEqual({
      stacks: [
        { id: 1, power: 'On', Sstatus: 'okStatus', x: 1, y: 1 },
        { id: 2, power: 'On', Sstatus: 'warningStatus', x: 1, y: 2 },
        { id: 3, power: 'Off', Sstatus: 'koStatus', x: 2, y: 1 },
      ],
    });
    expect((await h.app.inject({ method: 'GET', url: '/api/v1.0/stacks/3' })).json()).toEqual({
      id: 3,
      power: 'Off',
      Sstatus: 'koStatus',
      x: 2,
      y: 1,
    });
    expect((await h.app.inject({ method: 'GET', url: '/api/v1.0/stacks/8' })).statusCode).toBe(404);
    await h.app.close();
  });

  it('POST /rasps/execute runs the action and answers {status, data}; reboot is the supervised reboot', async () => {
    const h = await harness();
    h.facade.result = { ok: true, code: 200, message: 'done', data: '47.2' };
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1.0/rasps/execute',
      headers: bearer,
      payload: { id: '4', action: 'Temperature' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 200, data: '47.2' });
    await h.app.inject({ method: 'POST', url: '/api/v1.0/rasps/execute', headers: bearer, payload: { id: 4, action: 'Reboot' } });
    expect(h.facade.calls).toEqual([
      { method: 'runAction', args: [{ scope: 'pi', id: 4 }, 'temperature'] },
      { method: 'rebootPi', args: [4] },
    ]);
    await h.app.close();
  });

  it('POST /rasps/execute with an unknown action answers 404 in the original shape without calling the daemon', async () => {
    const h = await harness();
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1.0/rasps/execute',
      headers: bearer,
      payload: { id: 1, action: 'format' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ status: 404, data: 'no action format' });
    expect(h.facade.calls).toEqual([]);
    await h.app.close();
  });

  it('POST /stacks/execute: shutdown powers off, reboot power-cycles, ping and others fan out', async () => {
    const h = await harness();
    for (const action of ['shutdown', 'reboot', 'ping', 'cpu']) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1.0/stacks/execute', headers: bearer, payload: { id: 2, action } });
      expect(res.json(), action).toEqual({ status: 202, data: 'first line' });
    }
    expect(h.facade.calls).toEqual([
      { method: 'power', args: [{ scope: 'stack', id: 2 }, 'off'] },
      { method: 'power', args: [{ scope: 'stack', id: 2 }, 'cycle'] },
      { method: 'runAction', args: [{ scope: 'stack', id: 2 }, 'ping'] },
      { method: 'runAction', args: [{ scope: 'stack', id: 2 }, 'cpu'] },
    ]);
    await h.app.close();
  });

  it('GET /installation (authenticated) asks for a pass now and answers with the stacks', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'GET', url: '/api/v1.0/installation', headers: bearer });
    expect(res.statusCode).toBe(200);
    expect(res.json().stacks).toHaveLength(3);
    expect(h.facade.calls).toEqual([{ method: 'reconcileNow', args: [] }]);
    await h.app.close();
  });
});
