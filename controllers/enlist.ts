/**
 * Enlistment: every Pi gets a MAC bound to its id and a static DHCP entry for its fixed IP.
 *
 * Plan:
 * - The hosts file must list every node whose MAC is known (rack.yaml wins, then bindings.json);
 *   `dhcp-hosts-write` only when its content differs. When every MAC is known (rack.yaml or an
 *   imported inventory) that is all enlistment ever does: the static-inventory path.
 * - Stacks with unbound Pis are enlisted one at a time, in rack.yaml order: one `enlist-stack`
 *   per plan and none while an enlistment runs. A stack whose last attempt at this rack.yaml
 *   revision came up short is not retried automatically (that would cycle its power forever);
 *   `pirack enlist`, a new revision or a released binding starts it again.
 * The runner itself is src/dhcp/enlistment.ts.
 */
import type { RackSpec } from '../src/model/desired.ts';
import type { RackAction } from '../src/model/actions.ts';
import { stepFailed, stepOk, type StepResult } from '../src/model/step.ts';
import { pirackError, isPiRackError } from '../src/errors.ts';
import type { RackContext, RackController, RackObserved } from '../src/reconcile/rack-controller.ts';
import { hostEntries, unboundByStack, type Bindings } from '../src/dhcp/bindings.ts';
import { sameHostEntries } from '../src/dhcp/hosts.ts';
import { runEnlistmentSafely, type EnlistmentResult } from '../src/dhcp/enlistment.ts';

export interface EnlistAttempt {
  readonly revision: string;
  /** Epoch ms. */
  readonly at: number;
  readonly found: number;
  readonly expected: number;
}

/** What the enlist controller remembers between passes (kept by the caller in the state dir). */
export interface EnlistMemory {
  readonly attempts: Readonly<Record<number, EnlistAttempt>>;
  /** Stacks that needed enlisting when the current round began, for "stack k of n". */
  readonly round: readonly number[];
}

export const initialEnlistMemory: EnlistMemory = { attempts: {}, round: [] };

/** Records a finished enlistment (the caller calls it with the result `apply` reported). */
export function recordAttempt(memory: EnlistMemory, result: EnlistmentResult, revision: string, at: number): EnlistMemory {
  const expected = result.bound.length + result.missing.length;
  return { ...memory, attempts: { ...memory.attempts, [result.stack]: { revision, at, found: result.bound.length, expected } } };
}

/** Forgets attempts so `pirack enlist` retries stacks that came up short. */
export function forgetAttempts(memory: EnlistMemory): EnlistMemory {
  return { ...memory, attempts: {} };
}

/** Stacks that still need enlisting and are not held back by a short attempt at this revision. */
export function stacksToEnlist(rack: RackSpec, bindings: Bindings, memory: EnlistMemory): number[] {
  const unbound = unboundByStack(rack, bindings);
  return rack.stacks.map((s) => s.id).filter((id) => unbound.has(id) && memory.attempts[id]?.revision !== rack.revision);
}

/**
 * The stacks the enlistment owns (RackObserved.enlisting): the one running and those waiting
 * their turn. The power controller leaves them alone so they stay off until enlisted.
 */
export function enlistmentOwnedStacks(rack: RackSpec, bindings: Bindings, memory: EnlistMemory, active?: number): Set<number> {
  const owned = new Set(stacksToEnlist(rack, bindings, memory));
  if (active !== undefined) owned.add(active);
  return owned;
}

/** Keeps `round` in step with the work left: starts a round when work appears, ends it when none is left. */
export function updateRound(memory: EnlistMemory, rack: RackSpec, bindings: Bindings): EnlistMemory {
  const todo = stacksToEnlist(rack, bindings, memory);
  if (todo.length === 0) return memory.round.length === 0 ? memory : { ...memory, round: [] };
  const round = memory.round.length === 0 ? todo : [...memory.round, ...todo.filter((s) => !memory.round.includes(s))];
  return round.length === memory.round.length ? memory : { ...memory, round };
}

function plan(rack: RackSpec, observed: RackObserved, memory: EnlistMemory): RackAction[] {
  const actions: RackAction[] = [];
  const entries = hostEntries(rack, observed.bindings);
  const hostsDiffer = observed.hostsFile === undefined ? entries.length > 0 : !sameHostEntries(observed.hostsFile, entries);
  if (hostsDiffer) actions.push({ kind: 'dhcp-hosts-write', entries });
  if (observed.enlistmentActive !== undefined) return actions;
  const next = stacksToEnlist(rack, observed.bindings, memory)[0];
  if (next !== undefined) {
    const unbound = unboundByStack(rack, observed.bindings).get(next) ?? [];
    actions.push({ kind: 'enlist-stack', stack: next, unbound });
  }
  return actions;
}

/**
 * dhcp-hosts-write failing leaves the old file (atomic write) or, when only the SIGHUP failed, the
 * new file unread by dnsmasq until its next reload. enlist-stack: see src/dhcp/enlistment.ts. A
 * stack that yields fewer Pis than declared is a success with a warning event (the loop must not
 * retry it with backoff); the result goes to `onEnlistResult` for the caller's memory.
 */
async function roundPosition(stack: number, ctx: RackContext): Promise<{ index: number; count: number }> {
  let round = ctx.enlistRound ?? [];
  if (!round.includes(stack)) {
    const bindings = await ctx.dhcp.readBindings().catch(() => ({}) as Bindings);
    round = [...unboundByStack(ctx.rack, bindings).keys()];
  }
  const index = round.indexOf(stack) + 1;
  return index > 0 ? { index, count: round.length } : { index: 1, count: 1 };
}

function makeApply(onEnlistResult?: (result: EnlistmentResult) => void) {
  return async function apply(action: RackAction, ctx: RackContext): Promise<StepResult> {
    const started = ctx.now();
    if (action.kind === 'dhcp-hosts-write') {
      try {
        const result = await ctx.dhcp.writeHosts(action.entries);
        if (result.changed) ctx.emit({ kind: 'dhcp-hosts-write', target: 'rack', message: `wrote ${action.entries.length} static DHCP entries`, result: 'ok', durationMs: ctx.now() - started });
        return stepOk(ctx.now() - started);
      } catch (cause) {
        const error = isPiRackError(cause) ? cause : pirackError('PIRACK_ERR_DHCP', (cause as Error).message, { cause, where: 'dhcp' });
        ctx.emit({ kind: 'dhcp-hosts-write', target: 'rack', message: error.message, result: 'failed', durationMs: ctx.now() - started });
        return stepFailed(error, ctx.now() - started);
      }
    }
    const position = await roundPosition(action.stack, ctx);
    const outcome = await runEnlistmentSafely({
      rack: ctx.rack,
      stack: action.stack,
      unbound: action.unbound,
      position,
      relay: ctx.relay,
      readLeases: () => ctx.dhcp.readLeases(),
      readBindings: () => ctx.dhcp.readBindings(),
      writeBindings: (b) => ctx.dhcp.writeBindings(b),
      writeHosts: (e) => ctx.dhcp.writeHosts(e),
      isReachable: ctx.isReachable,
      now: ctx.now,
      sleep: ctx.sleep,
      signal: ctx.signal,
      windowMs: ctx.rack.policies.enlistWindowMs,
      minOffMs: ctx.rack.policies.powerCycle.minOffMs,
      log: ctx.log.child({ controller: 'enlist', stack: action.stack }),
      emit: ctx.emit,
      ...(ctx.onEnlistProgress ? { onProgress: ctx.onEnlistProgress } : {}),
    });
    if (!outcome.ok) {
      ctx.emit({ kind: 'enlist-stack', target: `stack ${action.stack}`, message: `enlistment failed: ${outcome.error.message}`, result: 'failed', durationMs: ctx.now() - started });
      return stepFailed(outcome.error, ctx.now() - started);
    }
    onEnlistResult?.(outcome.result);
    return stepOk(ctx.now() - started);
  };
}

export interface EnlistController extends RackController<EnlistMemory, RackAction> {
  /** The same controller, reporting each finished enlistment to `onResult` (for recordAttempt). */
  withResults(onResult: (result: EnlistmentResult) => void): RackController<EnlistMemory, RackAction>;
}

export const enlistController: EnlistController = {
  name: 'enlist',
  kinds: ['dhcp-hosts-write', 'enlist-stack'],
  plan: (rack, observed, memory) => plan(rack, observed, memory),
  apply: makeApply(),
  withResults(onResult) {
    return { name: 'enlist', kinds: ['dhcp-hosts-write', 'enlist-stack'], plan: (rack, observed, memory) => plan(rack, observed, memory), apply: makeApply(onResult) };
  },
};
