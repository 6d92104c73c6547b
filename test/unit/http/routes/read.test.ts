import { describe, expect, it } from 'vitest';
import { bearer, harness } from '../harness.ts';

describe('read routes', () => {
  it('serves status, stacks, Pis, plan, events and actions from the facade', async () => {
    const h = await harness();
    // The plan needs authentication whatever readAccess says (it probes every Pi); the rest is public here.
    const get = async (url: string) => {
      const res = await h.app.inject({ method: 'GET', url, ...(url === '/api/v1/plan' ? { headers: bearer } : {}) });
      expect(res.statusCode, url).toBe(200);
      return res.json();
    };
    expect((await get('/api/v1/status')).rack.name).toBe('lab-rack');
    expect((await get('/api/v1/stacks')).stacks).toHaveLength(3);
    const stack = await get('/api/v1/stacks/2');
    expect(stack.id).toBe(2);
    expect(stack.pis.map((p: { id: number }) => p.id)).toEqual([4, 5, 6]);
    expect((await get('/api/v1/pis')).pis).toHaveLength(8);
    expect((await get('/api/v1/pis/5')).conditions[0]).toMatchObject({ type: 'Reachable', status: 'False', reason: 'SshTimeout' });
    expect((await get('/api/v1/plan')).plan[0]).toEqual({ target: 'pi 3', kind: 'pkg-install', description: 'install bc' });
    expect((await get('/api/v1/actions')).actions).toContain('uptime');
    await h.app.close();
  });

  it('answers unknown stacks and Pis with 404', async () => {
    const h = await harness();
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/stacks/9' })).statusCode).toBe(404);
    const pi = await h.app.inject({ method: 'GET', url: '/api/v1/pis/99' });
    expect(pi.statusCode).toBe(404);
    expect(pi.json().error.message).toBe('no Pi 99');
    await h.app.close();
  });

  it('returns the events after a sequence number', async () => {
    const h = await harness();
    for (const n of [1, 2, 3]) h.facade.emit({ kind: 'probe', target: `pi ${n}`, message: `probe ${n}`, result: 'ok' });
    const all = (await h.app.inject({ method: 'GET', url: '/api/v1/events' })).json().events;
    expect(all.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
    const after = (await h.app.inject({ method: 'GET', url: '/api/v1/events?after=2' })).json().events;
    expect(after.map((e: { message: string }) => e.message)).toEqual(['probe 3']);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/events?after=x' })).statusCode).toBe(400);
    await h.app.close();
  });

  it('answers /healthz without touching the daemon', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.json()).toEqual({ ok: true });
    await h.app.close();
  });
});
