import { describe, expect, it } from 'vitest';
import { nodeControllers } from '../../../../controllers/index.ts';
import type { NodeController } from '../../../../src/reconcile/controller.ts';
import { SYNTHETIC_POLICIES, syntheticRack } from '../../../../bench/synthetic/model.ts';
import { measureScale, planPass } from '../../../../bench/synthetic/scale.ts';

const NOW = 1_750_000_000_000;

function fakeClock(stepMs: number): () => number {
  let t = 0;
  return () => (t += stepMs);
}

describe('planPass', () => {
  it('plans every Pi once through the queue and counts the work', async () => {
    const rack = syntheticRack({ nodes: 300, driftRatio: 0.2, now: NOW });
    const seen: number[] = [];
    const counting: NodeController[] = nodeControllers.map((c) => ({
      ...c,
      plan: (node, facts, planned, now, policies) => {
        if (c === nodeControllers[0]) seen.push(node.id);
        return c.plan(node, facts, planned, now, policies);
      },
    }));
    const result = await planPass(rack, {
      controllers: counting,
      policies: SYNTHETIC_POLICIES,
      concurrency: 8,
      clock: fakeClock(5),
      now: NOW,
    });
    expect(seen.sort((a, b) => a - b)).toEqual(rack.map((n) => n.spec.id));
    expect(result.nodesWithActions).toBe(60);
    // file-content drift plans a write and a restart; every other kind plans one action.
    expect(result.actions).toBe(70);
    expect(result.durationMs).toBe(5);
  });
});

describe('measureScale', () => {
  it('counts only the timed passes and reports heap growth from the injected reader', async () => {
    const heap = [10, 30, 31, 35, 32];
    let call = 0;
    const m = await measureScale({
      build: () => syntheticRack({ nodes: 10, driftRatio: 0, now: NOW }),
      passes: 3,
      warmup: 1,
      controllers: nodeControllers,
      policies: SYNTHETIC_POLICIES,
      concurrency: 4,
      clock: fakeClock(1),
      now: NOW,
      heapUsed: () => heap[Math.min(call++, heap.length - 1)]! * 1024 * 1024,
    });
    expect(m.passes).toHaveLength(3);
    expect(m.passes.every((p) => p.actions === 0)).toBe(true);
    expect(m.heapBeforeModelMB).toBe(10);
    expect(m.heapAfterModelMB).toBe(30);
    expect(m.heapPeakMB).toBe(35);
  });

  it('refuses zero passes', async () => {
    await expect(
      measureScale({
        build: () => [],
        passes: 0,
        warmup: 0,
        controllers: nodeControllers,
        policies: SYNTHETIC_POLICIES,
        concurrency: 1,
        clock: () => 0,
        now: NOW,
        heapUsed: () => 0,
      }),
    ).rejects.toThrow(RangeError);
  });
});
