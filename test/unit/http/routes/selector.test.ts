/** `?selector=` on /api/v1/pis and /api/v1/plan: the one selector module behind the API. */
import { describe, expect, it } from 'vitest';
import { selectNodes } from '../../../../src/cli/select.ts';
import { bearer, harness } from '../harness.ts';

async function labelled() {
  const h = await harness();
  h.facade.report = {
    ...h.facade.report,
    nodes: h.facade.report.nodes.map((n) => ({
      ...n,
      labels: (n.id % 3 === 0 ? { role: 'worker', zone: 'top' } : { zone: 'low' }) as Record<string, string>,
    })),
  };
  return h;
}

describe('label selectors over HTTP', () => {
  it('/api/v1/pis?selector= lists exactly the labelled Pis', async () => {
    const h = await labelled();
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/pis?selector=${encodeURIComponent('role=worker')}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().pis.map((p: { id: number }) => p.id)).toEqual([3, 6]);
    const not = await h.app.inject({ method: 'GET', url: `/api/v1/pis?selector=${encodeURIComponent('zone!=top')}` });
    expect(not.json().pis.map((p: { id: number }) => p.id)).toEqual([1, 2, 4, 5, 7, 8]);
    await h.app.close();
  });

  it('an unknown label is a 400 naming it and the labels there are', async () => {
    const h = await labelled();
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/pis?selector=rol%3Dworker' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'PIRACK_ERR_SELECTOR' });
    expect(res.json().error.message).toMatch(/"rol".*role, zone/);
    await h.app.close();
  });

  it('/api/v1/plan?selector= keeps the entries of the selected Pis only', async () => {
    const h = await labelled();
    h.facade.planEntries = [
      { target: 'pi 3', kind: 'pkg-install', description: 'install bc' },
      { target: 'pi 4', kind: 'pkg-install', description: 'install bc' },
      { target: 'stack 3', kind: 'stack-power', description: 'power stack 3 on' },
    ];
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/plan?selector=role%3Dworker', headers: bearer });
    expect(res.json().plan.map((e: { target: string }) => e.target)).toEqual(['pi 3']);
    const bad = await h.app.inject({ method: 'GET', url: '/api/v1/plan?selector=nope', headers: bearer });
    expect(bad.statusCode).toBe(400);
    expect(h.facade.calls.filter((c) => c.method === 'plan')).toHaveLength(1);
    await h.app.close();
  });
});

describe('pirack plan -l', () => {
  const rack = {
    sourcePath: 'rack.yaml',
    stacks: [],
    nodes: [
      { id: 1, stack: 1, labels: { role: 'worker' } },
      { id: 2, stack: 1, labels: { role: 'db' } },
      { id: 3, stack: 1, labels: { role: 'worker' } },
    ],
  } as never;
  it('aims at the labelled Pis, intersected with --pi', () => {
    const ids = (opts: object) => selectNodes(rack, opts).nodes.map((n) => n.id);
    expect(ids({ selector: 'role=worker' })).toEqual([1, 3]);
    expect(ids({ selector: 'role=worker', pi: '3,2' })).toEqual([3]);
    expect(selectNodes(rack, {}).whole).toBe(true);
    expect(selectNodes(rack, { selector: 'role=worker' }).whole).toBe(false);
    expect(() => selectNodes(rack, { selector: 'tier=x' })).toThrow(/"tier"/);
  });
});
