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
 * - Each stack is its own key on the loop (`stack:<id>`); switch-ons are staggered by
 *   relay.staggerMs at apply time, whichever stack asks first.
 * - A power-cycle the operator asked for (`pirack power cycle`, the API) runs once, unguarded.
 *
 * Power-cycle rules (policies.powerCycle), all required: the policy is enabled; this is not the
 * first pass since the daemon started (its reachability data is not trustworthy yet); the stack
 * is wanted on and reads on; it has Pis and every one of them has been unreachable for at least
 * afterUnreachableMs; its last cycle is at least afterUnreachableMs ago (Pis get time to boot
 * before they count as dead again); fewer than maxCyclesPerHour cycles in the last hour; the
 * stack is not enlisting. Cycle history is the caller's memory, kept in the state dir.
 */
import type { PowerCyclePolicy } from '../src/model/desired.ts';
import type { StackAction } from '../src/model/actions.ts';
import { stepFailed, stepOk, type StepResult } from '../src/model/step.ts';
import { isPiRackError, pirackError } from '../src/errors.ts';
import type { Controller, RackContext, StackDesired, StackObserved } from '../src/reconcile/controller.ts';
import { DEFAULT_SHUTDOWN, describeShutdown, shutdownPis } from '../src/remote/shutdown.ts';

const HOUR_MS = 3_600_000;

export type CycleDecision = { readonly cycle: true; readonly reason: string } | { readonly cycle: false; readonly why: string };

function minutes(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 1000)}s`;
}

/** Pure: whether the policy allows power-cycling this stack now, and why (not). */
export function cycleDecision(stack: StackDesired, observed: StackObserved, policy: PowerCyclePolicy, now: number): CycleDecision {
  if (!policy.enabled) return { cycle: false, why: 'policy disabled' };
  if (observed.firstPass) return { cycle: false, why: 'first pass after start-up' };
  if (observed.enlisting) return { cycle: false, why: 'enlisting' };
  if (stack.power !== 'on' || observed.relay !== 'on') return { cycle: false, why: 'not powered on' };
  if (stack.nodes.length === 0) return { cycle: false, why: 'no Pis' };
  let shortest = Infinity;
  for (const node of stack.nodes) {
    const seen = observed.nodes.get(node.id);
    if (!seen || seen.reachable || seen.unreachableSince === undefined)
      return { cycle: false, why: `pi ${node.id} is not known unreachable` };
    shortest = Math.min(shortest, now - seen.unreachableSince);
  }
  if (shortest < policy.afterUnreachableMs) return { cycle: false, why: `unreachable for ${minutes(shortest)} only` };
  const mine = observed.cycles.filter((c) => c.stack === stack.id);
  const last = mine.reduce((max, c) => Math.max(max, c.at), -Infinity);
  if (now - last < policy.afterUnreachableMs) return { cycle: false, why: 'cycled recently; Pis are given time to boot' };
  const lastHour = mine.filter((c) => c.at > now - HOUR_MS).length;
  if (lastHour >= policy.maxCyclesPerHour) return { cycle: false, why: `rate limit: ${lastHour} cycles in the last hour` };
  return {
    cycle: true,
    reason: `all ${stack.nodes.length} Pis unreachable for ${minutes(shortest)} (policy: after ${minutes(policy.afterUnreachableMs)}); cycle ${lastHour + 1} of at most ${policy.maxCyclesPerHour} this hour`,
  };
}

function plan(
  stack: StackDesired,
  observed: StackObserved,
  _planned: unknown,
  now: number,
  policies: { readonly powerCycle: PowerCyclePolicy },
): StackAction[] {
  if (observed.enlisting) return [];
  if (stack.cycleRequest)
    return [
      {
        kind: 'stack-cycle',
        stack: stack.id,
        reason: `asked for by ${stack.cycleRequest.by}`,
        ...(stack.cycleRequest.hard ? { hard: true } : {}),
      },
    ];
  const read = observed.relay;
  if (read === 'unknown') {
    return stack.power === 'on'
      ? [{ kind: 'stack-power', stack: stack.id, on: true, reason: 'relay state unknown, rack.yaml wants it on' }]
      : [];
  }
  if (read !== stack.power) {
    return [
      {
        kind: 'stack-power',
        stack: stack.id,
        on: stack.power === 'on',
        reason: `${stack.override ? `${stack.override.by} wants` : 'rack.yaml wants'} ${stack.power}, relay reads ${read}`,
        ...(stack.override?.hard && stack.power === 'off' ? { hard: true } : {}),
      },
    ];
  }
  const decision = cycleDecision(stack, observed, policies.powerCycle, now);
  return decision.cycle ? [{ kind: 'stack-cycle', stack: stack.id, reason: decision.reason }] : [];
}

function asError(stack: number, cause: unknown) {
  return isPiRackError(cause)
    ? cause
    : pirackError('PIRACK_ERR_RELAY', `stack ${stack}: ${(cause as Error).message}`, { cause, where: `stack ${stack}` });
}

/**
 * Before any cut (an off, the off half of a cycle): the reachable Pis of the stack shut down
 * cleanly first, unless the action is `hard` (src/remote/shutdown.ts). Enlistment's cuts come here
 * too, through `gracefulCut`.
 */
export async function gracefulCut(stack: number, ctx: RackContext, hard: boolean | undefined): Promise<void> {
  if (hard) return;
  const nodes = ctx.rack.stacks.find((s) => s.id === stack)?.nodes ?? [];
  if (nodes.length === 0 || (await ctx.relay.read(stack).catch(() => 'unknown')) === 'off') return;
  const outcome = await shutdownPis(nodes, ctx);
  // Said when a Pi took the command; nothing to say when none could (a dead stack being cycled).
  if (outcome.down.length + outcome.timedOut.length > 0)
    ctx.emit({
      kind: 'stack-shutdown',
      target: `stack ${stack}`,
      message: describeShutdown(outcome, DEFAULT_SHUTDOWN.timeoutMs),
      result: outcome.timedOut.length > 0 ? 'failed' : 'ok',
    });
}

async function switchStack(stack: number, on: boolean, ctx: RackContext, signal?: AbortSignal, hard?: boolean): Promise<void> {
  if (on) await ctx.stagger.beforeOn(signal);
  else await gracefulCut(stack, ctx, hard);
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
      await switchStack(action.stack, action.on, ctx, ctx.signal, action.hard);
      const durationMs = ctx.now() - started;
      ctx.emit({
        kind: 'stack-power',
        target,
        message: `powered ${action.on ? 'on' : 'off'} (${action.reason})`,
        result: 'ok',
        durationMs,
      });
      log.info({ on: action.on, reason: action.reason }, 'stack switched');
      return stepOk(durationMs, 0, { kind: 'switched', stack: action.stack, on: action.on });
    } catch (cause) {
      const error = asError(action.stack, cause);
      const durationMs = ctx.now() - started;
      ctx.emit({
        kind: 'stack-power',
        target,
        message: `power ${action.on ? 'on' : 'off'} failed: ${error.message}`,
        result: 'failed',
        durationMs,
      });
      log.error({ err: error }, 'stack switch failed');
      return stepFailed(error, durationMs);
    }
  }
  log.warn({ reason: action.reason }, 'power-cycling stack');
  try {
    await gracefulCut(action.stack, ctx, action.hard);
    await ctx.relay.set(action.stack, 'off', ctx.signal);
  } catch (cause) {
    const error = asError(action.stack, cause);
    ctx.emit({
      kind: 'stack-cycle',
      target,
      message: `power-cycle (${action.reason}) failed to switch off: ${error.message}`,
      result: 'failed',
      durationMs: ctx.now() - started,
    });
    return stepFailed(error, ctx.now() - started);
  }
  const offAt = ctx.now();
  const minOff = ctx.rack.policies.powerCycle.minOffMs;
  // Aborted during the off time: still honour the minimum off time, then switch back on.
  await ctx.clock.sleep(minOff, ctx.signal).catch(() => ctx.clock.sleep(Math.max(0, offAt + minOff - ctx.now())));
  try {
    await switchStack(action.stack, true, ctx);
  } catch (cause) {
    const error = pirackError(
      'PIRACK_ERR_RELAY',
      `stack ${action.stack} was switched off for a power-cycle and could not be switched back on: ${(cause as Error).message}`,
      {
        cause,
        where: target,
      },
    );
    ctx.emit({ kind: 'stack-cycle', target, message: error.message, result: 'failed', durationMs: ctx.now() - started });
    log.error({ err: error }, 'power-cycle left the stack off');
    return stepFailed(error, ctx.now() - started);
  }
  const durationMs = ctx.now() - started;
  ctx.emit({ kind: 'stack-cycle', target, message: `power-cycled: ${action.reason}`, result: 'ok', durationMs });
  return stepOk(durationMs, 0, { kind: 'cycled', stack: action.stack });
}

export const powerController: Controller<'stack', StackAction> = {
  name: 'power',
  scope: 'stack',
  kinds: ['stack-power', 'stack-cycle'],
  condition: { type: 'PowerInSync', reason: 'PowerDiffers' },
  observe: {
    // A relay that cannot be read is `unknown`, never a failed pass: the plan knows what to do with it.
    read: (stack, io) => io.relay.read(stack.id).catch(() => 'unknown' as const),
  },
  plan,
  apply,
};
