import { describe, expect, it } from 'vitest';
import { nodeControllers } from '../../../../controllers/index.ts';
import { planNode } from '../../../../src/reconcile/plan-node.ts';
import { DRIFTS, seededRandom, SYNTHETIC_POLICIES, syntheticRack } from '../../../../bench/synthetic/model.ts';

const NOW = 1_750_000_000_000;

describe('syntheticRack', () => {
  it('drifts exactly the asked share of Pis, every kind of drift in turn', () => {
    const rack = syntheticRack({ nodes: 600, driftRatio: 0.1, now: NOW });
    expect(rack).toHaveLength(600);
    const drifted = rack.filter((n) => n.drift);
    expect(drifted).toHaveLength(60);
    for (const kind of DRIFTS) expect(drifted.filter((n) => n.drift === kind)).toHaveLength(10);
  });

  it('is reproducible for a seed and different for another', () => {
    const pick = (seed: number): number[] =>
      syntheticRack({ nodes: 200, driftRatio: 0.2, now: NOW, seed })
        .filter((n) => n.drift)
        .map((n) => n.spec.id);
    expect(pick(1)).toEqual(pick(1));
    expect(pick(1)).not.toEqual(pick(2));
  });

  it('gives the real planners nothing to do on a Pi in sync and work on each drifted one', () => {
    const rack = syntheticRack({ nodes: 120, driftRatio: 0.5, now: NOW });
    for (const node of rack) {
      const actions = planNode(node.spec, node.facts, nodeControllers, NOW, SYNTHETIC_POLICIES);
      if (node.drift) expect(actions.length, `${node.drift} on pi ${node.spec.id}`).toBeGreaterThan(0);
      else expect(actions, `pi ${node.spec.id}`).toEqual([]);
    }
  });

  it('maps each drift to the controller that owns it', () => {
    const rack = syntheticRack({ nodes: 6, driftRatio: 1, now: NOW });
    const kinds = Object.fromEntries(
      rack.map((n) => [n.drift!, planNode(n.spec, n.facts, nodeControllers, NOW, SYNTHETIC_POLICIES).map((a) => a.kind)]),
    );
    expect(kinds).toEqual({
      'key-missing': ['keys-write'],
      'package-missing': ['pkg-install'],
      'file-content': ['file-write', 'service-restart'],
      'file-mode': ['file-attrs'],
      'service-stopped': ['service-start'],
      'service-disabled': ['service-enable'],
    });
  });

  it('refuses nonsense sizes', () => {
    expect(() => syntheticRack({ nodes: 0, driftRatio: 0, now: NOW })).toThrow(RangeError);
    expect(() => syntheticRack({ nodes: 5, driftRatio: 1.5, now: NOW })).toThrow(RangeError);
  });
});

describe('seededRandom', () => {
  it('stays within [0, 1)', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const v = random();
      expect(v >= 0 && v < 1).toBe(true);
    }
  });
});
