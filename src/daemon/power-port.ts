/**
 * The daemon's rack-level pass: read every stack's relay, let the power controller plan (power as
 * rack.yaml says, guarded power-cycles) and the enlistment controller plan (static DHCP entries,
 * enlisting stacks whose Pis have no MAC), and carry the actions out. It runs when a revision is
 * applied and then on a short timer; an enlistment runs beside it, one stack at a time.
 *
 * Imperative power from the API: `on`/`off` of a stack is kept as an operator override until the
 * next rack.yaml revision (declarative state wins again) or the opposite operation; without it the
 * next pass would switch the stack straight back. `cycle` needs no override.
 */
import type { Logger } from 'pino';
import { enlistController, enlistmentOwnedStacks, initialEnlistMemory, recordAttempt, updateRound, type EnlistMemory } from '../../controllers/enlist.ts';
import { cycleDecision, initialPowerMemory, passCompleted, powerController, recordCycle, type PowerMemory } from '../../controllers/power.ts';
import { createDhcpContext } from '../dhcp/context.ts';
import { loadCycleHistory, saveCycleHistory } from './cycle-history.ts';
import { readHostsFile } from '../dhcp/hosts.ts';
import { tcpReachable } from '../dhcp/reachable.ts';
import { createLabRelay } from '../lab/relay.ts';
import { describeAction } from '../model/actions.ts';
import type { PowerState, RackSpec } from '../model/desired.ts';
import type { RackContext, RackObserved } from '../reconcile/rack-controller.ts';
import { createRelay } from '../relay/index.ts';
import { fileConfirmations } from '../relay/manual-confirm.ts';
import type { ManualRelay } from '../relay/manual.ts';
import { createStagger } from '../relay/stagger.ts';
import type { RelayDriver } from '../relay/types.ts';
import { sleep } from '../util/sleep.ts';
import type { PowerPort } from './daemon.ts';
import type { OperationResult, PowerOp } from './facade.ts';
import type { Runtime } from './runtime.ts';

const PASS_INTERVAL_MS = 5_000;

export function createPowerPort(runtime: Runtime, options: { log: Logger; stateDir: string; intervalMs?: number }): PowerPort {
  const log = options.log.child({ component: 'power' });
  const abort = new AbortController();
  let relay: RelayDriver | undefined;
  let relayKey = '';
  let powerMemory: PowerMemory = initialPowerMemory;
  let enlistMemory: EnlistMemory = initialEnlistMemory;
  let enlisting: { stack: number; done: Promise<void> } | undefined;
  let overrides = new Map<number, PowerState>();
  let overridesRevision = '';
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** When each stack was last seen or made to come on: Pis booting since then are not "dead". */
  const onSince = new Map<number, number>();
  /** The last reason a wanted cycle was held back, per stack, so it is reported once, not every pass. */
  const heldBack = new Map<number, string>();
  let historyLoaded = false;

  const emit: RackContext['emit'] = (event) => runtime.events.add(event);

  /** One relay per relay configuration; re-created only when rack.yaml changes it. */
  function relayFor(rack: RackSpec): RelayDriver {
    const key = JSON.stringify([rack.relay, rack.stacks.map((s) => [s.id, s.relayPin])]);
    if (!relay || key !== relayKey) {
      void relay?.close();
      relay = createRelay(rack.relay, rack.stacks, {
        lab: () => createLabRelay(),
        manual: {
          notify: (request) => emit({ kind: 'manual-power', target: `stack ${request.stack}`, message: request.message, result: 'info' }),
          checkExternal: fileConfirmations(options.stateDir),
        },
        log,
      });
      relayKey = key;
    }
    return relay;
  }

  function context(rack: RackSpec): RackContext {
    return {
      rack,
      relay: relayFor(rack),
      dhcp: createDhcpContext(rack, { stateDir: options.stateDir, log }),
      log,
      signal: abort.signal,
      now: Date.now,
      sleep,
      emit,
      stagger: staggerFor(rack),
      isReachable: tcpReachable(rack.ssh.port, Math.min(rack.ssh.connectTimeoutMs, 3000)),
      enlistRound: enlistMemory.round,
      onEnlistProgress: (progress) => {
        runtime.tracker.enlistment = progress;
        runtime.tracker.touch();
      },
    };
  }

  /** One stagger for the daemon's life (every switch-on is spaced), new only if its delay changes. */
  let staggerCache: { ms: number; stagger: ReturnType<typeof createStagger> } | undefined;
  function staggerFor(rack: RackSpec): ReturnType<typeof createStagger> {
    if (staggerCache?.ms !== rack.relay.staggerMs) staggerCache = { ms: rack.relay.staggerMs, stagger: createStagger(rack.relay.staggerMs, Date.now, sleep) };
    return staggerCache.stagger;
  }

  /** rack.yaml's power with the operator's overrides on top. */
  function effective(rack: RackSpec): RackSpec {
    if (overridesRevision !== rack.revision) {
      overrides = new Map();
      overridesRevision = rack.revision;
    }
    if (overrides.size === 0) return rack;
    return { ...rack, stacks: rack.stacks.map((s) => (overrides.has(s.id) ? { ...s, power: overrides.get(s.id)! } : s)) };
  }

  async function observe(rack: RackSpec, ctx: RackContext): Promise<RackObserved> {
    const levels = new Map<number, PowerState | 'unknown'>();
    for (const stack of rack.stacks) {
      const level = await ctx.relay.read(stack.id).catch(() => 'unknown' as const);
      levels.set(stack.id, level);
      if (level !== 'on') onSince.delete(stack.id);
      else if (!onSince.has(stack.id)) onSince.set(stack.id, Date.now());
      runtime.tracker.recordStackPower(stack.id, level);
    }
    const nodes = new Map<number, { reachable: boolean; unreachableSince?: number }>();
    for (const node of rack.nodes) {
      const seen = runtime.tracker.reachability(node.id);
      // Unreachable while the stack was off (or before it came back on) says nothing about
      // whether its Pis are hung: the policy's clock starts when the stack is on.
      const on = onSince.get(node.stack);
      if (seen?.unreachableSince !== undefined && on !== undefined && on > seen.unreachableSince) nodes.set(node.id, { ...seen, unreachableSince: on });
      else if (seen) nodes.set(node.id, seen);
    }
    const bindings = await ctx.dhcp.readBindings();
    const hostsFile = await readHostsFile(rack.network.dhcp.hostsFile).catch(() => undefined);
    return {
      relay: levels,
      nodes,
      leases: await ctx.dhcp.readLeases().catch(() => []),
      bindings,
      ...(hostsFile ? { hostsFile } : {}),
      enlisting: enlistmentOwnedStacks(rack, bindings, enlistMemory, enlisting?.stack),
      ...(enlisting ? { enlistmentActive: enlisting.stack } : {}),
    };
  }

  async function pass(declared: RackSpec): Promise<void> {
    const rack = effective(declared);
    const ctx = context(rack);
    if (!historyLoaded) {
      powerMemory = { ...powerMemory, cycles: await loadCycleHistory(options.stateDir, Date.now()) };
      historyLoaded = true;
    }
    let observed = await observe(rack, ctx);
    enlistMemory = updateRound(enlistMemory, rack, observed.bindings);

    const actions = powerController.plan(rack, observed, powerMemory, Date.now());
    reportHeldCycles(rack, observed, actions);
    for (const action of actions) {
      log.info(describeAction(action));
      const result = await powerController.apply(action, ctx);
      if (result.ok && (action.kind === 'stack-cycle' || (action.kind === 'stack-power' && action.on))) onSince.set(action.stack, Date.now());
      if (action.kind === 'stack-cycle' && result.ok) {
        powerMemory = recordCycle(powerMemory, { stack: action.stack, at: Date.now(), reason: action.reason });
        await saveCycleHistory(options.stateDir, powerMemory.cycles).catch((err: unknown) => log.warn({ err }, 'cannot save the power-cycle history'));
      }
      if (action.kind === 'stack-power') emit({ kind: 'stack-power', target: `stack ${action.stack}`, message: describeAction(action), result: result.ok ? 'ok' : 'failed', durationMs: Math.round(result.durationMs) });
      // Pis of a stack that just came on are looked at as soon as they can answer.
      if (result.ok) runtime.reconciler.enqueueAll();
    }
    powerMemory = passCompleted(powerMemory);

    observed = await observe(rack, ctx);
    const enlist = enlistController.withResults((r) => {
      enlistMemory = recordAttempt(enlistMemory, r, rack.revision, Date.now());
    });
    for (const action of enlist.plan(rack, observed, enlistMemory, Date.now())) {
      if (action.kind === 'enlist-stack') {
        if (enlisting) continue;
        // Long (the DHCP window plus a power-cycle): runs beside the passes, one stack at a time.
        const done = enlist.apply(action, ctx).then((result) => {
          if (!result.ok) log.warn({ err: result.error }, `enlisting stack ${action.stack} failed`);
          enlisting = undefined;
          // The enlistment ends with a power-cycle of the stack: its Pis are booting now.
          onSince.set(action.stack, Date.now());
          runtime.tracker.enlistment = runtime.tracker.enlistment ? { ...runtime.tracker.enlistment, active: false } : undefined;
          runtime.tracker.touch();
          runtime.reconciler.enqueueAll();
        });
        enlisting = { stack: action.stack, done };
      } else {
        const result = await enlist.apply(action, ctx);
        if (!result.ok) log.warn({ err: result.error }, describeAction(action));
      }
    }
  }

  /**
   * A stack whose Pis are all dead but that the policy will not cycle (rate limit, too soon after
   * the last cycle) gets one event saying why, so an operator sees why nothing happens.
   */
  function reportHeldCycles(rack: RackSpec, observed: RackObserved, planned: readonly { kind: string; stack: number }[]): void {
    const policy = rack.policies.powerCycle;
    if (!policy.enabled) return;
    for (const stack of rack.stacks) {
      const decision = cycleDecision(stack, observed, powerMemory, policy, Date.now());
      const held = !decision.cycle && /^(rate limit|cycled recently)/.test(decision.why) && !planned.some((a) => a.stack === stack.id);
      if (!held) {
        heldBack.delete(stack.id);
        continue;
      }
      if (heldBack.get(stack.id) === decision.why) continue;
      heldBack.set(stack.id, decision.why);
      log.warn({ stack: stack.id, why: decision.why }, 'every Pi of the stack is unreachable, power-cycle held back');
      emit({ kind: 'stack-cycle-held', target: `stack ${stack.id}`, message: `every Pi unreachable, but no power-cycle: ${decision.why}`, result: 'info' });
    }
  }

  function schedule(rack: () => RackSpec): void {
    if (timer) return;
    timer = setInterval(() => void runPass(rack()), options.intervalMs ?? PASS_INTERVAL_MS);
    timer.unref();
  }

  /** Passes never overlap: a request during a pass is dropped (the next tick looks again). */
  function runPass(rack: RackSpec): Promise<void> {
    if (running) return running;
    running = pass(rack)
      .catch((err: unknown) => log.error({ err }, 'rack-level pass failed'))
      .finally(() => (running = undefined));
    return running;
  }

  function switchStack(ctx: RackContext, stack: number, state: PowerState): Promise<void> {
    return (state === 'on' ? ctx.stagger.beforeOn(abort.signal) : Promise.resolve()).then(() => ctx.relay.set(stack, state, abort.signal));
  }

  return {
    reconcile(rack) {
      schedule(() => runtime.reconciler.desired);
      return runPass(rack);
    },

    async power(rack, target, op: PowerOp): Promise<OperationResult> {
      const stacks = target.scope === 'rack' ? rack.stacks.map((s) => s.id) : [target.id];
      const ctx = context(effective(rack));
      const where = target.scope === 'rack' ? 'rack' : `stack ${target.id}`;
      const started = Date.now();
      try {
        if (op === 'cycle') {
          for (const stack of stacks) await switchStack(ctx, stack, 'off');
          await sleep(rack.policies.powerCycle.minOffMs);
          for (const stack of stacks) await switchStack(ctx, stack, 'on');
        } else {
          for (const stack of stacks) {
            overrides.set(stack, op);
            await switchStack(ctx, stack, op);
          }
        }
        if (op !== 'off') for (const stack of stacks) onSince.set(stack, Date.now());
        for (const stack of stacks) runtime.tracker.recordStackPower(stack, await ctx.relay.read(stack).catch(() => 'unknown' as const));
        emit({ kind: `power-${op}`, target: where, message: `power ${op} by the operator${op === 'cycle' ? '' : ' (kept until the next rack.yaml revision)'}`, result: 'ok', durationMs: Date.now() - started });
        runtime.reconciler.enqueueAll();
        return { ok: true, code: 200, message: `${where}: power ${op} done` };
      } catch (err) {
        emit({ kind: `power-${op}`, target: where, message: (err as Error).message, result: 'failed', durationMs: Date.now() - started });
        return { ok: false, code: 500, message: `${where}: power ${op} failed: ${(err as Error).message}` };
      }
    },

    confirm(stack) {
      const manual = relay as (RelayDriver & Partial<Pick<ManualRelay, 'confirm'>>) | undefined;
      if (!manual?.confirm) return { ok: false, code: 409, message: 'the relay driver is not manual' };
      manual.confirm(stack);
      return { ok: true, code: 200, message: `stack ${stack}: confirmation recorded` };
    },

    async close() {
      if (timer) clearInterval(timer);
      abort.abort();
      await running?.catch(() => undefined);
      await enlisting?.done.catch(() => undefined);
      await relay?.close();
    },
  };
}
