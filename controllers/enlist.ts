/**
 * Enlistment: every Pi gets a MAC bound to its id and a static DHCP entry for its fixed IP. It is
 * the controller of the `rack` key.
 *
 * Plan:
 * - The hosts file must list every node whose MAC is known (rack.yaml wins, then bindings.json);
 *   `dhcp-hosts-write` only when its content differs. When every MAC is known (rack.yaml or an
 *   imported inventory) that is all enlistment ever does: the static-inventory path.
 * - Stacks with unbound Pis are enlisted one at a time, in rack.yaml order: one `enlist-stack`
 *   per plan and none while an enlistment runs. A stack whose last attempt at this rack.yaml
 *   revision came up short is not retried automatically (that would cycle its power forever),
 *   also after a daemon restart (the attempts are kept in the state dir); `pirack enlist` (an
 *   operator's request newer than the attempt), a new revision or a released binding starts it
 *   again.
 * The runner itself is src/dhcp/enlistment.ts.
 */
import type { RackSpec } from '../src/model/desired.ts';
import type { RackAction } from '../src/model/actions.ts';
import { stepFailed, stepOk, type StepResult } from '../src/model/step.ts';
import { pirackError, isPiRackError } from '../src/errors.ts';
import type { Controller, EnlistAttempt, RackContext, RackDesired, RackObserved } from '../src/reconcile/controller.ts';
import { macView, type Bindings } from '../src/dhcp/bindings.ts';
import { sameHostEntries } from '../src/dhcp/hosts.ts';
import { runEnlistmentSafely, type EnlistmentResult } from '../src/dhcp/enlistment.ts';
import { gracefulCut } from './power.ts';

/** The attempts with one more finished enlistment (the loop records what `apply` reported). */
export function recordAttempt(
  attempts: Readonly<Record<number, EnlistAttempt>>,
  result: EnlistmentResult,
  revision: string,
  at: number,
): Record<number, EnlistAttempt> {
  const expected = result.bound.length + result.missing.length;
  return { ...attempts, [result.stack]: { revision, at, found: result.bound.length, expected, missing: [...result.missing] } };
}

type EnlistView = Pick<RackObserved, 'bindings' | 'attempts'>;

/**
 * Stacks that still need enlisting and are not held back: a stack is held back by an attempt at
 * this revision that came up short with exactly the Pis still unbound (a released binding, a new
 * revision or a newer `pirack enlist` lets it go again).
 */
export function stacksToEnlist(
  rack: RackDesired,
  observed: EnlistView,
  unbound: ReadonlyMap<number, readonly number[]> = macView(rack, observed.bindings).unbound,
): number[] {
  const heldBack = (id: number) => {
    const attempt = observed.attempts[id];
    if (attempt?.revision !== rack.revision || attempt.found >= attempt.expected) return false;
    if (rack.enlistRequest && rack.enlistRequest.at > attempt.at) return false;
    const now = unbound.get(id) ?? [];
    return attempt.missing === undefined || (attempt.missing.length === now.length && attempt.missing.every((p) => now.includes(p)));
  };
  return rack.stacks.map((s) => s.id).filter((id) => unbound.has(id) && !heldBack(id));
}

/**
 * The stacks the enlistment owns: the one running and those waiting their turn. The power
 * controller leaves them alone so they stay off until enlisted.
 */
export function enlistmentOwnedStacks(rack: RackDesired, observed: EnlistView & Pick<RackObserved, 'active'>): Set<number> {
  const owned = new Set(stacksToEnlist(rack, observed));
  if (observed.active !== undefined) owned.add(observed.active);
  return owned;
}

/** Keeps the round in step with the work left: starts a round when work appears, ends it when none is left. */
export function updateRound(round: readonly number[], rack: RackDesired, observed: EnlistView): readonly number[] {
  const todo = stacksToEnlist(rack, observed);
  if (todo.length === 0) return round.length === 0 ? round : [];
  const next = round.length === 0 ? todo : [...round, ...todo.filter((s) => !round.includes(s))];
  return next.length === round.length ? round : next;
}

function position(stack: number, rack: RackSpec, observed: RackObserved): { index: number; count: number } {
  const round = observed.round.includes(stack) ? observed.round : [...macView(rack, observed.bindings).unbound.keys()];
  const index = round.indexOf(stack) + 1;
  return index > 0 ? { index, count: round.length } : { index: 1, count: 1 };
}

function plan(rack: RackDesired, observed: RackObserved): RackAction[] {
  const actions: RackAction[] = [];
  // One MAC view per rack.yaml and bindings: the rack key plans every pass, over every Pi.
  const { entries, unbound: unboundAll } = macView(rack, observed.bindings);
  const hostsDiffer = observed.hostsFile === undefined ? entries.length > 0 : !sameHostEntries(observed.hostsFile, entries);
  if (hostsDiffer) actions.push({ kind: 'dhcp-hosts-write', entries: [...entries] });
  if (observed.active !== undefined) return actions;
  const next = stacksToEnlist(rack, observed, unboundAll)[0];
  if (next !== undefined) {
    actions.push({ kind: 'enlist-stack', stack: next, unbound: unboundAll.get(next) ?? [], position: position(next, rack, observed) });
  }
  return actions;
}

/**
 * dhcp-hosts-write failing leaves the old file (atomic write) or, when only the SIGHUP failed, the
 * new file unread by dnsmasq until its next reload. enlist-stack: see src/dhcp/enlistment.ts. A
 * stack that yields fewer Pis than declared is a success with a warning event (the loop must not
 * retry it with backoff); the result is the step's outcome, which the loop records as an attempt.
 */
async function apply(action: RackAction, ctx: RackContext): Promise<StepResult> {
  const started = ctx.now();
  if (action.kind === 'dhcp-hosts-write') {
    try {
      const result = await ctx.dhcp.writeHosts(action.entries);
      if (result.changed)
        ctx.emit({
          kind: 'dhcp-hosts-write',
          target: 'rack',
          message: `wrote ${action.entries.length} static DHCP entries`,
          result: 'ok',
          durationMs: ctx.now() - started,
        });
      return stepOk(ctx.now() - started);
    } catch (cause) {
      const error = isPiRackError(cause) ? cause : pirackError('PIRACK_ERR_DHCP', (cause as Error).message, { cause, where: 'dhcp' });
      ctx.emit({ kind: 'dhcp-hosts-write', target: 'rack', message: error.message, result: 'failed', durationMs: ctx.now() - started });
      return stepFailed(error, ctx.now() - started);
    }
  }
  const outcome = await runEnlistmentSafely({
    rack: ctx.rack,
    stack: action.stack,
    unbound: action.unbound,
    position: action.position,
    relay: ctx.relay,
    readLeases: () => ctx.dhcp.readLeases(),
    readBindings: () => ctx.dhcp.readBindings(),
    writeBindings: (b) => ctx.dhcp.writeBindings(b),
    writeHosts: (e) => ctx.dhcp.writeHosts(e),
    isReachable: ctx.isReachable,
    beforeCut: (stack) => gracefulCut(stack, ctx, false),
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
    ctx.emit({
      kind: 'enlist-stack',
      target: `stack ${action.stack}`,
      message: `enlistment failed: ${outcome.error.message}`,
      result: 'failed',
      durationMs: ctx.now() - started,
    });
    return stepFailed(outcome.error, ctx.now() - started);
  }
  return stepOk(ctx.now() - started, 0, { kind: 'enlisted', result: outcome.result });
}

export const enlistController: Controller<'rack', RackAction> = {
  name: 'enlist',
  scope: 'rack',
  kinds: ['dhcp-hosts-write', 'enlist-stack'],
  condition: { type: 'Enlisted', reason: 'NotEnlisted' },
  observe: {
    async read(_rack, io) {
      const [leases, bindings, hostsFile] = await Promise.all([
        io.dhcp.readLeases().catch(() => [] as const),
        io.dhcp.readBindings(),
        io.dhcp.readHosts().catch(() => undefined),
      ]);
      return { leases, bindings, ...(hostsFile ? { hostsFile } : {}) };
    },
  },
  plan: (rack, observed) => plan(rack, observed),
  apply,
};

export type { Bindings };
