/**
 * Scenario 5: the planners and the work queue alone, on a synthetic rack of thousands of Pis.
 * Each pass puts every key of the rack (each stack: power; the rack: enlistment; each Pi: keys,
 * packages, files, services) through one WorkQueue whose worker plans it synchronously, which is
 * the engine's per-pass overhead with SSH, the relay and dnsmasq taken out.
 */
import { registry } from '../../controllers/index.ts';
import type { Action, NodeAction } from '../../src/model/actions.ts';
import type { PoliciesSpec, RackSpec } from '../../src/model/desired.ts';
import type {
  NodeController,
  RackController,
  RackDesired,
  RackObserved,
  StackController,
  StackDesired,
  StackObserved,
} from '../../src/reconcile/controller.ts';
import { parseKey, piKey, RACK_KEY, stackKey, type WorkKey } from '../../src/reconcile/keys.ts';
import { planNode } from '../../src/reconcile/plan-node.ts';
import { WorkQueue } from '../../src/reconcile/queue.ts';
import { systemClock } from '../../src/util/clock.ts';
import type { SyntheticNode } from './model.ts';

export interface PassResult {
  readonly durationMs: number;
  /** CPU time the process spent in the pass (user + system), when a CPU clock was given: steadier than wall time on a busy machine. */
  readonly cpuMs?: number;
  /** Pis that planned at least one action. */
  readonly nodesWithActions: number;
  readonly actions: number;
  /** Stack and rack keys planned in the pass (power and enlistment). */
  readonly rackKeys: number;
}

export interface PassOptions {
  readonly controllers: readonly NodeController[];
  /** Power and enlistment; default the registry's. */
  readonly stackControllers?: readonly StackController[];
  readonly rackControllers?: readonly RackController[];
  readonly policies: PoliciesSpec;
  readonly concurrency: number;
  /** Monotonic clock in ms (performance.now). */
  readonly clock: () => number;
  /** The process's CPU time in ms (process.cpuUsage), optional. */
  readonly cpuClock?: () => number;
  /** Wall clock the planner sees (apt list ages). */
  readonly now: number;
}

interface RackModel {
  readonly rack: RackDesired;
  readonly stacks: ReadonlyMap<number, { desired: StackDesired; observed: StackObserved }>;
  readonly observed: RackObserved;
}

const models = new WeakMap<readonly SyntheticNode[], RackModel>();

/** Every stack on and answering, every MAC pinned: the steady state, where power and enlist plan nothing. Built once per rack, like the Pis' facts. */
function rackModel(nodes: readonly SyntheticNode[], policies: PoliciesSpec): RackModel {
  let model = models.get(nodes);
  if (!model) models.set(nodes, (model = buildRackModel(nodes, policies)));
  return model;
}

function buildRackModel(nodes: readonly SyntheticNode[], policies: PoliciesSpec): RackModel {
  const byStack = new Map<number, SyntheticNode[]>();
  for (const n of nodes) byStack.set(n.spec.stack, [...(byStack.get(n.spec.stack) ?? []), n]);
  const specs = [...byStack.entries()].map(([id, members], i) => ({
    id,
    x: 1,
    y: i + 1,
    power: 'on' as const,
    nodes: members.map((m) => ({
      ...m.spec,
      mac: `02:00:00:${((m.spec.id >> 16) & 255).toString(16).padStart(2, '0')}:${((m.spec.id >> 8) & 255).toString(16).padStart(2, '0')}:${(m.spec.id & 255).toString(16).padStart(2, '0')}`,
    })),
  }));
  const rack = {
    name: 'synthetic',
    revision: 'synthetic',
    stacks: specs,
    nodes: specs.flatMap((s) => s.nodes),
    policies,
  } as unknown as RackSpec;
  const stacks = new Map(
    specs.map((s) => [
      s.id,
      {
        desired: s as StackDesired,
        observed: {
          relay: 'on' as const,
          nodes: new Map(s.nodes.map((n) => [n.id, { reachable: true }])),
          cycles: [],
          firstPass: false,
          enlisting: false,
        },
      },
    ]),
  );
  const entries = rack.nodes.map((n) => ({ mac: n.mac!, ip: n.ip }));
  return { rack, stacks, observed: { leases: [], bindings: {}, hostsFile: entries, attempts: {}, round: [] } };
}

export async function planPass(rack: readonly SyntheticNode[], options: PassOptions): Promise<PassResult> {
  const byId = new Map(rack.map((n) => [n.spec.id, n]));
  const stackControllers = options.stackControllers ?? registry.stack;
  const rackControllers = options.rackControllers ?? registry.rack;
  const model = rackModel(rack, options.policies);
  let nodesWithActions = 0;
  let actions = 0;
  let rackKeys = 0;
  const started = options.clock();
  const cpuStarted = options.cpuClock?.();
  const queue = new WorkQueue<WorkKey>({
    concurrency: options.concurrency,
    backoffBaseMs: 0,
    backoffMaxMs: 0,
    timers: systemClock,
    worker: async (key) => {
      const parsed = parseKey(key);
      if (parsed.scope === 'node') {
        const node = byId.get(parsed.id)!;
        const planned: NodeAction[] = planNode(node.spec, node.facts, options.controllers, options.now, options.policies);
        if (planned.length > 0) nodesWithActions++;
        actions += planned.length;
        return 'done';
      }
      rackKeys++;
      const planned: Action[] = [];
      if (parsed.scope === 'stack') {
        const stack = model.stacks.get(parsed.id)!;
        for (const c of stackControllers) planned.push(...c.plan(stack.desired, stack.observed, planned, options.now, options.policies));
      } else {
        for (const c of rackControllers) planned.push(...c.plan(model.rack, model.observed, planned, options.now, options.policies));
      }
      actions += planned.length;
      return 'done';
    },
  });
  for (const id of model.stacks.keys()) queue.add(stackKey(id));
  queue.add(RACK_KEY);
  for (const node of rack) queue.add(piKey(node.spec.id));
  await queue.whenIdle();
  const durationMs = options.clock() - started;
  const cpu = cpuStarted === undefined ? {} : { cpuMs: options.cpuClock!() - cpuStarted };
  return { durationMs, ...cpu, nodesWithActions, actions, rackKeys };
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
