/**
 * Scenario 5: the planner and the work queue alone, on a synthetic rack of thousands of Pis. Each
 * pass puts every Pi through a WorkQueue whose worker plans it synchronously, which is the
 * engine's per-pass overhead with SSH taken out.
 */
import type { NodeAction } from '../../src/model/actions.ts';
import type { PoliciesSpec } from '../../src/model/desired.ts';
import type { NodeController } from '../../src/reconcile/controller.ts';
import { planNode } from '../../src/reconcile/plan-node.ts';
import { WorkQueue } from '../../src/reconcile/queue.ts';
import type { SyntheticNode } from './model.ts';

export interface PassResult {
  readonly durationMs: number;
  /** Pis that planned at least one action. */
  readonly nodesWithActions: number;
  readonly actions: number;
}

export interface PassOptions {
  readonly controllers: readonly NodeController[];
  readonly policies: PoliciesSpec;
  readonly concurrency: number;
  /** Monotonic clock in ms (performance.now). */
  readonly clock: () => number;
  /** Wall clock the planner sees (apt list ages). */
  readonly now: number;
}

export async function planPass(rack: readonly SyntheticNode[], options: PassOptions): Promise<PassResult> {
  const byId = new Map(rack.map((n) => [n.spec.id, n]));
  let nodesWithActions = 0;
  let actions = 0;
  const started = options.clock();
  const queue = new WorkQueue<number>({
    concurrency: options.concurrency,
    backoffBaseMs: 0,
    backoffMaxMs: 0,
    worker: async (id) => {
      const node = byId.get(id)!;
      const planned: NodeAction[] = planNode(node.spec, node.facts, options.controllers, options.now, options.policies);
      if (planned.length > 0) nodesWithActions++;
      actions += planned.length;
      return 'done';
    },
  });
  for (const node of rack) queue.add(node.spec.id);
  await queue.whenIdle();
  return { durationMs: options.clock() - started, nodesWithActions, actions };
}

export interface ScaleMeasurement {
  readonly passes: readonly PassResult[];
  /** V8 heap in use after building the model, and the highest seen after a pass, in MB. */
  readonly heapAfterModelMB: number;
  readonly heapPeakMB: number;
  readonly heapBeforeModelMB: number;
}

export interface ScaleOptions extends PassOptions {
  readonly build: () => readonly SyntheticNode[];
  readonly passes: number;
  /** Passes run first and not counted, so the JIT has compiled the planners. */
  readonly warmup: number;
  readonly heapUsed: () => number;
}

export async function measureScale(options: ScaleOptions): Promise<ScaleMeasurement> {
  if (options.passes < 1) throw new RangeError('passes must be at least 1');
  const mb = (bytes: number): number => bytes / 1024 / 1024;
  const heapBeforeModelMB = mb(options.heapUsed());
  const rack = options.build();
  const heapAfterModelMB = mb(options.heapUsed());
  for (let i = 0; i < options.warmup; i++) await planPass(rack, options);
  const passes: PassResult[] = [];
  let heapPeakMB = heapAfterModelMB;
  for (let i = 0; i < options.passes; i++) {
    passes.push(await planPass(rack, options));
    heapPeakMB = Math.max(heapPeakMB, mb(options.heapUsed()));
  }
  return { passes, heapAfterModelMB, heapPeakMB, heapBeforeModelMB };
}
