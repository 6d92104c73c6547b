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
    expect(res.json()).toMatchObject({ status: 404, data: 'no action format', error: { code: 'PIRACK_ERR_HTTP_NOT_FOUND' } });
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

  it('GET /installation runs the install flow and answers with the stacks once it has finished', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'GET', url: '/api/v1.0/installation', headers: bearer });
    expect(res.statusCode).toBe(200);
    expect(res.json().stacks).toHaveLength(3);
    expect(h.facade.calls).toEqual([{ method: 'install', args: [] }]);
    await h.app.close();
  });

  it('a failed or refused installation answers in the original shape and ours', async () => {
    const h = await harness();
    h.facade.installResult = { ok: false, code: 409, message: 'reconciling is suspended; resume first' };
    const res = await h.app.inject({ method: 'GET', url: '/api/v1.0/installation', headers: bearer });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      status: 409,
      data: 'reconciling is suspended; resume first',
      error: { code: 'PIRACK_ERR_HTTP_CONFLICT', reason: 'Conflict' },
    });
    await h.app.close();
  });

  it('every /api/v1.0 error carries {status, data} next to our error object, the 401 included', async () => {
    const h = await harness({ readAccess: 'authenticated' });
    const unauth = await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps' });
    expect(unauth.statusCode).toBe(401);
    expect(unauth.json()).toMatchObject({ status: 401, data: 'authentication required', error: { code: 'PIRACK_ERR_HTTP_UNAUTHORIZED' } });
    const missing = await h.app.inject({ method: 'GET', url: '/api/v1.0/rasps/42', headers: bearer });
    expect(missing.json()).toMatchObject({ status: 404, data: 'no Pi 42', error: { reason: 'NotFound' } });
    const noRoute = await h.app.inject({ method: 'GET', url: '/api/v1.0/nothing', headers: bearer });
    expect(noRoute.json()).toMatchObject({ status: 404, error: { code: 'PIRACK_ERR_HTTP_NOT_FOUND' } });
    const badBody = await h.app.inject({ method: 'POST', url: '/api/v1.0/rasps/execute', headers: bearer, payload: { id: 'x' } });
    expect(badBody.json()).toMatchObject({ status: 400, error: { code: 'PIRACK_ERR_HTTP_BAD_REQUEST' } });
    h.facade.result = { ok: false, code: 500, message: 'cpu failed on 1 Pi(s)', data: 'ssh: timed out' };
    const failed = await h.app.inject({
      method: 'POST',
      url: '/api/v1.0/rasps/execute',
      headers: bearer,
      payload: { id: 1, action: 'cpu' },
    });
    expect(failed.json()).toMatchObject({ status: 500, data: 'ssh: timed out', error: { code: 'PIRACK_ERR_HTTP_INTERNAL' } });
    // Our own API keeps its one shape.
    const ours = await h.app.inject({ method: 'GET', url: '/api/v1/status' });
    expect(ours.statusCode).toBe(401);
    expect(Object.keys(ours.json())).toEqual(['error']);
    await h.app.close();
  });
});
