/**
 * The plan as the store knows it: every key's pure plan over its cached observation. Reads the
 * store, writes nothing, probes nothing: `GET /api/v1/plan` and the daemon's facade use it; a
 * caller that wants fresh facts queues a pass through the normal loop first.
 */
import { enlistmentOwnedStacks } from '../../controllers/enlist.ts';
import type { ControllerSet } from '../../controllers/index.ts';
import type { Action } from '../model/actions.ts';
import { describeAction } from '../model/actions.ts';
import type { RackSpec } from '../model/desired.ts';
import type { NodeReachability, RackDesired, RackObserved, StackDesired, StackObserved } from './controller.ts';
import type { ObservedStore } from './observed-store.ts';
import { effectiveRack, poweredOffBy, stackDesired, type OperatorState } from './operator-layer.ts';
import { planNode } from './plan-node.ts';

export interface PlanEntry {
  /** `pi 7`, `stack 2`, `rack`. */
  readonly target: string;
  readonly kind: string;
  readonly description: string;
}

/** What the power controller sees of one stack, from the store. */
export function stackObservedFrom(
  store: ObservedStore,
  effective: RackDesired,
  stack: StackDesired,
  controllers: ControllerSet,
  now: number,
): StackObserved {
  const seen = store.stack(stack.id);
  const nodes = new Map<number, NodeReachability>();
  for (const node of stack.nodes) {
    const r = store.reachability(node.id, stack.id);
    if (r) nodes.set(node.id, r);
  }
  const enlist = store.enlistment;
  const owned = enlistmentOwnedStacks(effective, {
    bindings: store.rack.bindings,
    attempts: enlist.attempts,
    ...(enlist.active !== undefined ? { active: enlist.active } : {}),
  });
  return {
    relay: seen?.relay ?? 'unknown',
    nodes,
    cycles: store.cycles(now),
    firstPass: (seen?.passes ?? 0) === 0,
    // Only a rack controller that has read the bindings can claim a stack.
    enlisting: controllers.rack.length > 0 && owned.has(stack.id),
  };
}

/** What the enlist controller sees of the rack, from the store. */
export function rackObservedFrom(store: ObservedStore): RackObserved {
  const enlist = store.enlistment;
  return {
    leases: store.rack.leases,
    bindings: store.rack.bindings,
    ...(store.rack.hostsFile ? { hostsFile: store.rack.hostsFile } : {}),
    attempts: enlist.attempts,
    round: enlist.round,
    ...(enlist.active !== undefined ? { active: enlist.active } : {}),
  };
}

const entry =
  (target: string) =>
  (a: Action): PlanEntry => ({ target, kind: a.kind, description: describeAction(a) });

export function planFromStore(
  rack: RackSpec,
  operator: OperatorState,
  store: ObservedStore,
  controllers: ControllerSet,
  now: number,
): PlanEntry[] {
  const effective = effectiveRack(rack, operator);
  const entries: PlanEntry[] = [];
  for (const spec of rack.stacks) {
    const desired = stackDesired(rack, operator, spec.id)!;
    if (!store.stack(spec.id)) {
      if (controllers.stack.length > 0) entries.push({ target: `stack ${spec.id}`, kind: 'unobserved', description: 'relay not read yet' });
      continue;
    }
    const observed = stackObservedFrom(store, effective, desired, controllers, now);
    const planned: Action[] = [];
    for (const c of controllers.stack) planned.push(...c.plan(desired, observed, planned, now, rack.policies));
    entries.push(...planned.map(entry(`stack ${spec.id}`)));
  }
  if (controllers.rack.length > 0) {
    const observed = rackObservedFrom(store);
    const planned: Action[] = [];
    for (const c of controllers.rack) planned.push(...c.plan(effective, observed, planned, now, rack.policies));
    entries.push(...planned.map(entry('rack')));
  }
  for (const node of rack.nodes) {
    const target = `pi ${node.id}`;
    const offBy = poweredOffBy(rack, operator, node.stack);
    if (offBy) {
      entries.push({ target, kind: 'powered-off', description: `not looked at: its stack is powered off (${offBy})` });
      continue;
    }
    const seen = store.node(node.id);
    if (!seen?.facts || seen.reachable === false) {
      entries.push({ target, kind: 'unreachable', description: seen?.error?.message ?? 'not probed yet' });
      continue;
    }
    entries.push(...planNode(node, seen.facts, controllers.node, now, rack.policies).map(entry(target)));
  }
  return entries;
}
