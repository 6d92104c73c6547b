/**
 * Turns the outcome of a node pass into Kubernetes-style conditions. Pure; the last transition
 * time moves only when a condition's status changes.
 */
import type { PiRackError } from '../errors.ts';
import type { NodeAction, ActionKind } from '../model/actions.ts';
import type { Condition, ConditionStatus, ConditionType } from '../model/status.ts';
import { describeAction } from '../model/actions.ts';

const CONTROLLER_CONDITIONS: readonly { type: ConditionType; kinds: readonly ActionKind[]; reason: string }[] = [
  { type: 'KeysInSync', kinds: ['keys-write'], reason: 'KeysDiffer' },
  { type: 'PackagesInSync', kinds: ['pkg-install', 'pkg-remove', 'pkg-repair'], reason: 'PackagesDiffer' },
  { type: 'FilesInSync', kinds: ['file-write', 'file-attrs'], reason: 'FilesDiffer' },
  { type: 'ServicesInSync', kinds: ['systemd-reload', 'service-enable', 'service-start', 'service-restart'], reason: 'ServicesDiffer' },
];

export interface PassOutcome {
  readonly reachable: boolean;
  readonly quarantined: boolean;
  /** Its stack is meant to be off (rack.yaml): unreachable by design. */
  readonly poweredOff?: boolean;
  readonly remaining: readonly NodeAction[];
  readonly error?: PiRackError;
  /** Packages dpkg marks for reinstallation: reported, never repaired automatically. */
  readonly reinstRequired?: readonly string[];
}

/** CamelCase reason from an error code: PIRACK_ERR_SSH_TIMEOUT → SshTimeout. */
export function reasonOf(error: PiRackError): string {
  return error.code.replace(/^PIRACK_ERR_/, '').toLowerCase().replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase());
}

export function computeConditions(outcome: PassOutcome, previous: readonly Condition[], now: string): Condition[] {
  const prev = new Map(previous.map((c) => [c.type, c]));
  const make = (type: ConditionType, status: ConditionStatus, reason: string, message: string): Condition => {
    const before = prev.get(type);
    const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now;
    return { type, status, reason, message, lastTransitionTime };
  };

  const conditions: Condition[] = [];
  if (outcome.poweredOff) {
    conditions.push(make('Reachable', 'False', 'PoweredOff', 'its stack is powered off as rack.yaml says'));
  } else if (outcome.quarantined) {
    conditions.push(make('Reachable', 'False', 'HostKeyChanged', 'host key changed: quarantined until `pirack hostkey repin`'));
  } else if (!outcome.reachable) {
    conditions.push(make('Reachable', 'False', outcome.error ? reasonOf(outcome.error) : 'Unreachable', outcome.error?.message ?? 'no answer'));
  } else {
    conditions.push(make('Reachable', 'True', 'ProbeAnswered', 'probe answered'));
  }

  for (const { type, kinds, reason } of CONTROLLER_CONDITIONS) {
    if (!outcome.reachable) {
      conditions.push(make(type, 'Unknown', 'NotObserved', 'the Pi could not be probed'));
      continue;
    }
    const pending = outcome.remaining.filter((a) => kinds.includes(a.kind));
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
  conditions.push(notReady.length === 0
    ? make('Ready', 'True', 'Converged', 'every controller in sync')
    : make('Ready', 'False', notReady[0]!.reason, `${notReady.map((c) => c.type).join(', ')} not true`));
  return conditions;
}
