/**
 * Turns the outcome of a node pass into Kubernetes-style conditions. Pure; the last transition
 * time moves only when a condition's status changes.
 */
import type { PiRackError } from '../errors.ts';
import type { Action, NodeAction } from '../model/actions.ts';
import type { Condition, ConditionStatus, ConditionType } from '../model/status.ts';
import { describeAction } from '../model/actions.ts';
import type { AnyController } from './controller.ts';

/** The conditions a list of controllers owns: each is False while one of its kinds is pending. */
export function ownedConditions(
  controllers: readonly AnyController[],
): { type: ConditionType; kinds: readonly string[]; reason: string }[] {
  return controllers.map((c) => ({ type: c.condition.type, kinds: c.kinds as readonly string[], reason: c.condition.reason }));
}

function conditionMaker(previous: readonly Condition[], now: string) {
  const prev = new Map(previous.map((c) => [c.type, c]));
  return (type: ConditionType, status: ConditionStatus, reason: string, message: string): Condition => {
    const before = prev.get(type);
    const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now;
    return { type, status, reason, message, lastTransitionTime };
  };
}

/** The condition one stack or rack controller owns, from what its last pass left pending. */
export function controllerCondition(
  controller: AnyController,
  pending: readonly Action[],
  error: PiRackError | undefined,
  previous: readonly Condition[],
  now: string,
): Condition {
  const build = conditionMaker(previous, now);
  const { type, reason } = controller.condition;
  if (pending.length === 0 && !error) return build(type, 'True', 'InSync', 'matches the desired state');
  const what = pending.map(describeAction).join('; ');
  if (error) return build(type, 'False', reasonOf(error), what ? `${error.message} (pending: ${what})` : error.message);
  return build(type, 'False', reason, what);
}

export interface PassOutcome {
  readonly reachable: boolean;
  readonly quarantined: boolean;
  /** Its stack is meant to be off: unreachable by design. Says by whom (rack.yaml or an operator). */
  readonly poweredOff?: { readonly by: string };
  readonly remaining: readonly NodeAction[];
  readonly error?: PiRackError;
  /** Packages dpkg marks for reinstallation: reported, never repaired automatically. */
  readonly reinstRequired?: readonly string[];
  /** /var/run/reboot-required exists (with the packages that asked, maybe none). */
  readonly rebootRequired?: readonly string[];
}

/** CamelCase reason from an error code: PIRACK_ERR_SSH_TIMEOUT → SshTimeout. */
export function reasonOf(error: PiRackError): string {
  return error.code
    .replace(/^PIRACK_ERR_/, '')
    .toLowerCase()
    .replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());
}

/** A Pi's conditions: Reachable, one per node controller (from the registry), Ready. */
export function computeConditions(
  outcome: PassOutcome,
  previous: readonly Condition[],
  now: string,
  controllers: readonly AnyController[],
): Condition[] {
  const make = conditionMaker(previous, now);

  const conditions: Condition[] = [];
  if (outcome.poweredOff) {
    conditions.push(
      make(
        'Reachable',
        'False',
        'PoweredOff',
        outcome.poweredOff.by === 'rack.yaml'
          ? 'its stack is powered off as rack.yaml says'
          : `its stack is powered off by ${outcome.poweredOff.by}`,
      ),
    );
  } else if (outcome.quarantined) {
    conditions.push(make('Reachable', 'False', 'HostKeyChanged', 'host key changed: quarantined until `pirack hostkey repin`'));
  } else if (!outcome.reachable) {
    conditions.push(
      make('Reachable', 'False', outcome.error ? reasonOf(outcome.error) : 'Unreachable', outcome.error?.message ?? 'no answer'),
    );
  } else {
    conditions.push(make('Reachable', 'True', 'ProbeAnswered', 'probe answered'));
  }

  for (const { type, kinds, reason } of ownedConditions(controllers)) {
    if (!outcome.reachable) {
      conditions.push(make(type, 'Unknown', 'NotObserved', 'the Pi could not be probed'));
      continue;
    }
    const pending = outcome.remaining.filter((a: NodeAction) => kinds.includes(a.kind));
    const failed = outcome.error && pending.length > 0 ? outcome.error : undefined;
    if (type === 'PackagesInSync' && outcome.reinstRequired && outcome.reinstRequired.length > 0) {
      conditions.push(make(type, 'False', 'DpkgBroken', `dpkg marks ${outcome.reinstRequired.join(', ')} for reinstallation: fix by hand`));
    } else if (pending.length === 0) {
      conditions.push(make(type, 'True', 'InSync', 'matches rack.yaml'));
    } else {
      const what = pending.map(describeAction).join('; ');
      conditions.push(make(type, 'False', failed ? reasonOf(failed) : reason, failed ? `${failed.message} (pending: ${what})` : what));
    }
  }

  const notReady = conditions.filter((c) => c.status !== 'True');
  conditions.push(
    notReady.length === 0
      ? make('Ready', 'True', 'Converged', 'every controller in sync')
      : make('Ready', 'False', notReady[0]!.reason, `${notReady.map((c) => c.type).join(', ')} not true`),
  );
  // After Ready on purpose: a pending reboot is for a person (or `pirack upgrade --reboot`) to act on.
  if (outcome.reachable && outcome.rebootRequired) {
    const pkgs = outcome.rebootRequired;
    conditions.push(
      make(
        'RebootRequired',
        'True',
        'RebootRequired',
        `/var/run/reboot-required exists${pkgs.length > 0 ? ` (${pkgs.join(', ')})` : ''}: reboot it (pirack run reboot)`,
      ),
    );
  }
  return conditions;
}

/** The watch stream's condition (not part of Ready: a Pi that is polled is still managed). */
export function streamingCondition(
  stream: 'open' | 'lost' | 'unsupported',
  note: string | undefined,
  previous: readonly Condition[],
  now: string,
): Condition {
  const make = conditionMaker(previous, now);
  if (stream === 'open') return make('Streaming', 'True', 'Live', 'heartbeats and change notices arrive over the watch stream');
  if (stream === 'lost') return make('Streaming', 'False', 'StreamLost', 'the watch stream went silent or closed; reopening');
  return make('Streaming', 'False', 'PollingFallback', `cannot stream (${note ?? 'unknown reason'}): polled at the resync instead`);
}
