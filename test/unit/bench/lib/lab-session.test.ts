import { describe, expect, it } from 'vitest';
import type { LabPort, LabView } from '../../../../bench/lib/lab-port.ts';
import { LabSession } from '../../../../bench/lib/lab-session.ts';

function fakeLab(initial: LabView) {
  let view = initial;
  const calls: string[] = [];
  const port: LabPort = {
    status: async () => view,
    up: async (stacks, perStack) => {
      calls.push(`up ${stacks}x${perStack}`);
      view = { up: true, dir: '/lab', running: Array.from({ length: stacks * perStack }, (_, i) => i + 1) };
      return { dir: '/lab', rackYaml: '/lab/rack.yaml' };
    },
    down: async () => {
      calls.push('down');
      view = { up: false, dir: '/lab', running: [] };
    },
    exec: async () => ({ code: 0, stdout: '', stderr: '' }),
    rackYamlOf: (dir) => `${dir}/rack.yaml`,
  };
  return { port, calls, setView: (v: LabView) => (view = v) };
}

function session(port: LabPort, others: () => Promise<readonly string[]> = async () => [], maxWaitMs = 90_000) {
  const slept: number[] = [];
  const s = new LabSession({
    port,
    progress: () => {},
    othersUsingLab: others,
    sleep: async (ms) => void slept.push(ms),
    maxWaitMs,
    pollMs: 30_000,
  });
  return { s, slept };
}

describe('LabSession', () => {
  it('boots a lab when none is up, owns it and tears it down on release', async () => {
    const lab = fakeLab({ up: false, dir: '/lab', running: [] });
    const { s } = session(lab.port);
    await s.acquire({ stacks: 4, perStack: 12 });
    expect(s).toMatchObject({ owned: true, reused: false, rackYaml: '/lab/rack.yaml' });
    await s.release();
    expect(lab.calls).toEqual(['up 4x12', 'down']);
  });

  it('reuses a big enough lab and never tears it down', async () => {
    const lab = fakeLab({ up: true, dir: '/other', running: [1, 2, 3, 4] });
    const { s } = session(lab.port);
    await s.acquire({ stacks: 1, perStack: 2 });
    expect(s).toMatchObject({ owned: false, reused: true, rackYaml: '/other/rack.yaml' });
    await s.release();
    expect(lab.calls).toEqual([]);
    await expect(s.fresh({ stacks: 1, perStack: 2 })).rejects.toThrow(/not the bench's to restart/);
  });

  it('waits (polling every 30 s) for a smaller lab to go away, then boots its own', async () => {
    const lab = fakeLab({ up: true, dir: '/lab', running: [1, 2] });
    let polls = 0;
    const port: LabPort = { ...lab.port, status: async () => (++polls >= 3 ? { up: false, dir: '/lab', running: [] } : lab.port.status()) };
    const { s, slept } = session(port);
    await s.acquire({ stacks: 1, perStack: 4 });
    expect(slept).toEqual([30_000, 30_000]);
    expect(lab.calls).toEqual(['up 1x4']);
  });

  it("gives up after the bounded wait instead of killing someone else's lab", async () => {
    const lab = fakeLab({ up: true, dir: '/lab', running: [1] });
    const { s, slept } = session(lab.port, async () => [], 60_000);
    await expect(s.acquire({ stacks: 1, perStack: 4 })).rejects.toThrow(/stayed up 60 s/);
    expect(slept).toHaveLength(2);
    expect(lab.calls).toEqual([]);
  });

  it('waits while others are testing on the lab', async () => {
    const lab = fakeLab({ up: false, dir: '/lab', running: [] });
    let busy = 2;
    const { s, slept } = session(lab.port, async () => (busy-- > 0 ? ['pid 9: vitest run --project e2e'] : []));
    await s.acquire({ stacks: 1, perStack: 2 });
    expect(slept).toEqual([30_000, 30_000]);
    const stuck = session(fakeLab({ up: false, dir: '/lab', running: [] }).port, async () => ['pid 9: vitest'], 30_000);
    await expect(stuck.s.acquire({ stacks: 1, perStack: 2 })).rejects.toThrow(/in use by pid 9/);
  });

  it('gives fresh labs by tearing down and rebooting its own', async () => {
    const lab = fakeLab({ up: false, dir: '/lab', running: [] });
    const { s } = session(lab.port);
    await s.acquire({ stacks: 1, perStack: 2 });
    await s.fresh({ stacks: 1, perStack: 2 });
    expect(lab.calls).toEqual(['up 1x2', 'down', 'up 1x2']);
    expect(s.owned).toBe(true);
  });

  it('does not restart its own lab while someone else is testing on it', async () => {
    const lab = fakeLab({ up: false, dir: '/lab', running: [] });
    let busy = 0;
    const { s, slept } = session(lab.port, async () => (busy-- > 0 ? ['pid 7: vitest run --project e2e'] : []));
    await s.acquire({ stacks: 1, perStack: 2 });
    busy = 1;
    await s.fresh({ stacks: 1, perStack: 2 });
    expect(slept).toEqual([30_000]);
    expect(lab.calls).toEqual(['up 1x2', 'down', 'up 1x2']);
  });
});

describe('LabSession.disturbed', () => {
  it('notices a lab re-created or taken down by someone else', async () => {
    const lab = fakeLab({ up: false, dir: '/lab', running: [] });
    let created = 'T1';
    const port: LabPort = { ...lab.port, status: async () => ({ ...(await lab.port.status()), createdAt: created }) };
    const { s } = session(port);
    await s.acquire({ stacks: 1, perStack: 2 });
    expect(await s.disturbed()).toBe(false);
    created = 'T2';
    expect(await s.disturbed()).toBe(true);
    created = 'T1';
    lab.setView({ up: false, dir: '/lab', running: [] });
    expect(await s.disturbed()).toBe(true);
  });
});
