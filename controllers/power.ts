/**
 * Power: each stack's relay as rack.yaml says, and a guarded power-cycle of a stack whose Pis all
 * stopped answering.
 *
 * Switching rules (plan):
 * - A stack is switched only when its read-back differs from rack.yaml's `power`. At daemon
 *   start-up the read-back is the level the relay already holds, so a restart plans nothing.
 * - An `unknown` read-back (a line nobody drives yet, the manual driver before any confirmation)
 *   is switched ON when rack.yaml wants it on: asserting ON cannot cut a running Pi's power. It is
 *   never switched OFF automatically, because that could cut power we cannot see; the stack shows
 *   power `unknown` until someone runs `pirack power off <stack> --yes`.
 * - Stacks the enlistment owns (being enlisted or waiting their turn) are left alone.
 * - Offs come before ons; ons are staggered by relay.staggerMs at apply time.
 *
 * Power-cycle rules (policies.powerCycle), all required: the policy is enabled; this is not the
 * first pass since the daemon started (its reachability data is not trustworthy yet); the stack
 * is wanted on and reads on; it has Pis and every one of them has been unreachable for at least
 * afterUnreachableMs; its last cycle is at least afterUnreachableMs ago (Pis get time to boot
 * before they count as dead again); fewer than maxCyclesPerHour cycles in the last hour; the
 * stack is not enlisting. Cycle history is the caller's memory, kept in the state dir.
 */
import type { PowerCyclePolicy, RackSpec, StackSpec } from '../src/model/desired.ts';
import type { StackAction } from '../src/model/actions.ts';
import { stepFailed, stepOk, type StepResult } from '../src/model/step.ts';
import { isPiRackError, pirackError } from '../src/errors.ts';
import type { RackContext, RackController, RackObserved } from '../src/reconcile/rack-controller.ts';

const HOUR_MS = 3_600_000;

export interface CycleRecord {
  readonly stack: number;
  /** Epoch ms the cycle started. */
  readonly at: number;
  readonly reason: string;
}

/** What the power controller remembers between passes. */
export interface PowerMemory {
  /** Cycles of the last hour (older ones may be pruned). */
  readonly cycles: readonly CycleRecord[];
  /** Passes completed since the daemon started; 0 during the first pass. */
  readonly passes: number;
}

export const initialPowerMemory: PowerMemory = { cycles: [], passes: 0 };

/** Records a cycle (the caller does so when a stack-cycle was applied) and drops entries over an hour old. */
export function recordCycle(memory: PowerMemory, record: CycleRecord): PowerMemory {
  return { ...memory, cycles: [...memory.cycles.filter((c) => c.at > record.at - HOUR_MS), record] };
}

/** Counts a finished pass, so the next one is no longer the first. */
export function passCompleted(memory: PowerMemory): PowerMemory {
  return { ...memory, passes: memory.passes + 1 };
}

export type CycleDecision = { readonly cycle: true; readonly reason: string } | { readonly cycle: false; readonly why: string };

function minutes(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 1000)}s`;
}

/** Pure: whether the policy allows power-cycling this stack now, and why (not). */
export function cycleDecision(stack: StackSpec, observed: RackObserved, memory: PowerMemory, policy: PowerCyclePolicy, now: number): CycleDecision {
  if (!policy.enabled) return { cycle: false, why: 'policy disabled' };
  if (memory.passes === 0) return { cycle: false, why: 'first pass after start-up' };
  if (observed.enlisting.has(stack.id)) return { cycle: false, why: 'enlisting' };
  if (stack.power !== 'on' || observed.relay.get(stack.id) !== 'on') return { cycle: false, why: 'not powered on' };
  if (stack.nodes.length === 0) return { cycle: false, why: 'no Pis' };
  let shortest = Infinity;
  for (const node of stack.nodes) {
    const seen = observed.nodes.get(node.id);
    if (!seen || seen.reachable || seen.unreachableSince === undefined) return { cycle: false, why: `pi ${node.id} is not known unreachable` };
    shortest = Math.min(shortest, now - seen.unreachableSince);
  }
  if (shortest < policy.afterUnreachableMs) return { cycle: false, why: `unreachable for ${minutes(shortest)} only` };
  const mine = memory.cycles.filter((c) => c.stack === stack.id);
  const last = mine.reduce((max, c) => Math.max(max, c.at), -Infinity);
  if (now - last < policy.afterUnreachableMs) return { cycle: false, why: 'cycled recently; Pis are given time to boot' };
  const lastHour = mine.filter((c) => c.at > now - HOUR_MS).length;
  if (lastHour >= policy.maxCyclesPerHour) return { cycle: false, why: `rate limit: ${lastHour} cycles in the last hour` };
  return {
    cycle: true,
    reason: `all ${stack.nodes.length} Pis unreachable for ${minutes(shortest)} (policy: after ${minutes(policy.afterUnreachableMs)}); cycle ${lastHour + 1} of at most ${policy.maxCyclesPerHour} this hour`,
  };
}

function plan(rack: RackSpec, observed: RackObserved, memory: PowerMemory, now: number): StackAction[] {
  const offs: StackAction[] = [];
  const ons: StackAction[] = [];
  const cycles: StackAction[] = [];
  for (const stack of rack.stacks) {
    if (observed.enlisting.has(stack.id)) continue;
    const read = observed.relay.get(stack.id) ?? 'unknown';
    if (read === 'unknown') {
      if (stack.power === 'on') ons.push({ kind: 'stack-power', stack: stack.id, on: true, reason: 'relay state unknown, rack.yaml wants it on' });
      continue;
    }
    if (read !== stack.power) {
      const action: StackAction = { kind: 'stack-power', stack: stack.id, on: stack.power === 'on', reason: `rack.yaml wants ${stack.power}, relay reads ${read}` };
      (stack.power === 'on' ? ons : offs).push(action);
      continue;
    }
    const decision = cycleDecision(stack, observed, memory, rack.policies.powerCycle, now);
    if (decision.cycle) cycles.push({ kind: 'stack-cycle', stack: stack.id, reason: decision.reason });
  }
  return [...offs, ...ons, ...cycles];
}

function asError(stack: number, cause: unknown) {
  return isPiRackError(cause) ? cause : pirackError('PIRACK_ERR_RELAY', `stack ${stack}: ${(cause as Error).message}`, { cause, where: `stack ${stack}` });
}

async function switchStack(stack: number, on: boolean, ctx: RackContext, signal?: AbortSignal): Promise<void> {
  if (on) await ctx.stagger.beforeOn(signal);
  await ctx.relay.set(stack, on ? 'on' : 'off', signal);
}

/**
 * Failure leaves: for stack-power, the level as it was (the driver's contract). For stack-cycle,
 * a failed OFF leaves the stack on; a failed ON leaves it OFF, said so in the error. An abort
 * during the off time still switches the stack back on: a shutdown never strands a stack off.
 */
async function apply(action: StackAction, ctx: RackContext): Promise<StepResult> {
  const started = ctx.now();
  const target = `stack ${action.stack}`;
  const log = ctx.log.child({ controller: 'power', stack: action.stack });
  if (action.kind === 'stack-power') {
    try {
      await switchStack(action.stack, action.on, ctx, ctx.signal);
      const durationMs = ctx.now() - started;
      ctx.emit({ kind: 'stack-power', target, message: `powered ${action.on ? 'on' : 'off'} (${action.reason})`, result: 'ok', durationMs });
      log.info({ on: action.on, reason: action.reason }, 'stack switched');
      return stepOk(durationMs);
    } catch (cause) {
      const error = asError(action.stack, cause);
      const durationMs = ctx.now() - started;
      ctx.emit({ kind: 'stack-power', target, message: `power ${action.on ? 'on' : 'off'} failed: ${error.message}`, result: 'failed', durationMs });
      log.error({ err: error }, 'stack switch failed');
      return stepFailed(error, durationMs);
    }
  }
  log.warn({ reason: action.reason }, 'power-cycling stack');
  try {
    await ctx.relay.set(action.stack, 'off', ctx.signal);
  } catch (cause) {
    const error = asError(action.stack, cause);
    ctx.emit({ kind: 'stack-cycle', target, message: `power-cycle (${action.reason}) failed to switch off: ${error.message}`, result: 'failed', durationMs: ctx.now() - started });
    return stepFailed(error, ctx.now() - started);
  }
  const offAt = ctx.now();
  const minOff = ctx.rack.policies.powerCycle.minOffMs;
  // Aborted during the off time: still honour the minimum off time, then switch back on.
  await ctx.sleep(minOff, ctx.signal).catch(() => ctx.sleep(Math.max(0, offAt + minOff - ctx.now())));
  try {
    await switchStack(action.stack, true, ctx);
  } catch (cause) {
    const error = pirackError('PIRACK_ERR_RELAY', `stack ${action.stack} was switched off for a power-cycle and could not be switched back on: ${(cause as Error).message}`, {
      cause,
      where: target,
    });
    ctx.emit({ kind: 'stack-cycle', target, message: error.message, result: 'failed', durationMs: ctx.now() - started });
    log.error({ err: error }, 'power-cycle left the stack off');
    return stepFailed(error, ctx.now() - started);
  }
  const durationMs = ctx.now() - started;
  ctx.emit({ kind: 'stack-cycle', target, message: `power-cycled: ${action.reason}`, result: 'ok', durationMs });
  return stepOk(durationMs);
}

export const powerController: RackController<PowerMemory, StackAction> = {
  name: 'power',
  kinds: ['stack-power', 'stack-cycle'],
  plan,
  apply,
};
