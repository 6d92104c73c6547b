/**
 * Pure planning of one Pi: each controller in registry order sees what the earlier ones planned.
 */
import type { NodeSpec, PoliciesSpec } from '../model/desired.ts';
import type { NodeFacts } from '../model/observed.ts';
import type { NodeAction } from '../model/actions.ts';
import type { AnyController, NodeController } from './controller.ts';

export function planNode(
  node: NodeSpec,
  facts: NodeFacts,
  controllers: readonly NodeController[],
  now: number,
  policies: PoliciesSpec,
): NodeAction[] {
  const planned: NodeAction[] = [];
  for (const controller of controllers) planned.push(...(controller.plan(node, facts, planned, now, policies) as NodeAction[]));
  return planned;
}

/** Which controller executes an action kind; built once from the registry. */
export function controllerIndex<C extends AnyController>(controllers: readonly C[]): ReadonlyMap<string, C> {
  const index = new Map<string, C>();
  for (const controller of controllers) {
    for (const kind of controller.kinds) {
      if (index.has(kind)) throw new Error(`action kind ${kind} claimed by two controllers`);
      index.set(kind, controller);
    }
  }
  return index;
}
