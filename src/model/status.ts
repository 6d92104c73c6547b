/**
 * The status report: written to status.json after every pass, served at /api/v1/status and
 * rendered by the dashboard. Never holds a secret.
 */
import type { PiHealth } from './health.ts';

/**
 * Per Pi: Reachable, one per node controller, Ready, then Streaming (the watch stream; not part of
 * Ready, absent when the daemon runs without it). Per stack: PowerInSync. Per rack: Enlisted.
 */
export type ConditionType =
  | 'Reachable'
  | 'KeysInSync'
  | 'PackagesInSync'
  | 'FilesInSync'
  | 'ServicesInSync'
  | 'HostnameInSync'
  | 'Ready'
  | 'Streaming'
  | 'PowerInSync'
  | 'Enlisted'
  /** Shown only while /var/run/reboot-required exists; informational (it does not make a Pi un-Ready). */
  | 'RebootRequired';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  /** CamelCase machine-readable reason, e.g. SshTimeout, PackagesMissing. */
  readonly reason: string;
  readonly message: string;
  /** ISO time the status last changed. */
  readonly lastTransitionTime: string;
}

export interface NodeObserved {
  readonly ip: string;
  readonly mac?: string;
  readonly hostname?: string;
  readonly cpuPercent?: number;
  readonly temperatureC?: number;
  readonly uptimeSeconds?: number;
  readonly load1?: number;
  readonly memUsedPercent?: number;
}

/** An operator's maintenance hold as the report shows it: what, who, why, since when. */
export interface HoldStatus {
  /** `rack`, `stack 2`, `pi 7`: the target of the hold (a Pi's own or the stack or rack over it). */
  readonly target: string;
  readonly by: string;
  readonly reason: string;
  readonly at: string;
}

export interface NodeStatus {
  readonly id: number;
  readonly stack: number;
  /** rack.yaml labels (the stack's with the Pi's own over them), for selectors. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly conditions: readonly Condition[];
  readonly observed: NodeObserved;
  /** Describe-lines of what the last plan for this Pi wanted to do. */
  readonly pendingActions: readonly string[];
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
  /** ISO time of the last sign of life: a probe that answered or a heartbeat. */
  readonly lastSeen?: string;
  readonly quarantined: boolean;
  /** The watch stream's last heartbeat (live health; `at` = when it was heard), while the stream lives. */
  readonly health?: NodeHealth;
  /** The hold that stops this Pi's passes, when one does. */
  readonly suspended?: HoldStatus;
}

/** Live health from the watch stream's heartbeat, and when it was heard. */
export interface NodeHealth extends PiHealth {
  readonly at: string;
}

export type StackHealth = 'ok' | 'warning' | 'ko';

export interface StackStatus {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  readonly desiredPower: 'on' | 'off';
  readonly power: 'on' | 'off' | 'unknown';
  /** ok: every Pi answers; warning: some do; ko: none (the original's okStatus/warningStatus/koStatus). */
  readonly health: StackHealth;
  readonly nodes: readonly number[];
  /** An operator's power override over rack.yaml: who set it and when; lifted by the next revision or `pirack power clear`. */
  readonly override?: { readonly power: 'on' | 'off'; readonly by: string; readonly at: string; readonly rackYamlPower: 'on' | 'off' };
  /** PowerInSync (the power controller's). */
  readonly conditions?: readonly Condition[];
  /** The hold that stops this stack's relay and enlistment, when one does (its own, one of its Pis', or the rack's). */
  readonly suspended?: HoldStatus;
}

export interface EnlistmentProgress {
  readonly active: boolean;
  readonly stackIndex: number;
  readonly stackCount: number;
  readonly stack?: number;
  readonly found: number;
  readonly expected: number;
  readonly elapsedMs: number;
  readonly remainingMs: number;
  readonly message: string;
}

export interface RackStatus {
  readonly name: string;
  readonly ready: boolean;
  /** The whole rack is held (`holds` has a `rack` entry). */
  readonly suspended: boolean;
  /** Every maintenance hold in force, oldest first. */
  readonly holds?: readonly HoldStatus[];
  readonly counts: { readonly nodes: number; readonly ready: number; readonly unreachable: number; readonly quarantined: number };
  readonly lastAppliedRevision?: string;
  readonly lastAttemptedRevision?: string;
  /** Errors of the last attempted revision when it was rejected, each with file:line:column. */
  readonly revisionErrors: readonly string[];
  /** The most recent pass of one key (a Pi, a stack or the rack): when it ended and how long it took, in the daemon and `apply --once` alike. */
  readonly lastPassAt?: string;
  readonly lastPassDurationMs?: number;
  readonly grid: { readonly rows: number; readonly cols: number };
  readonly enlistment?: EnlistmentProgress;
  /** Enlisted (the enlist controller's). */
  readonly conditions?: readonly Condition[];
}

export interface StatusReport {
  readonly generatedAt: string;
  readonly rack: RackStatus;
  readonly stacks: readonly StackStatus[];
  readonly nodes: readonly NodeStatus[];
  readonly lastErrors: readonly { readonly at: string; readonly where: string; readonly code: string; readonly message: string }[];
}

/** One entry of the bounded event log: what was done, to what, why, result, duration. */
export interface RackEvent {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  /** `pi 7`, `stack 2`, `rack`. */
  readonly target: string;
  readonly message: string;
  readonly result: 'ok' | 'failed' | 'info';
  readonly durationMs?: number;
}
