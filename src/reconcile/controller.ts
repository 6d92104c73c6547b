/**
 * The one shape every controller has (STYLE.md §1), whatever it looks after: a Pi (keys,
 * packages, files, services), a stack (power) or the rack (enlist). Each has
 * - `observe`: how its facts are read without changing anything. For a Pi, a shell fragment of the
 *   one probe round trip; for a stack, the relay read-back; for the rack, the DHCP leases, the
 *   enlisted bindings and the hosts file;
 * - a pure `plan(desired, observed, planned, now, policies)`;
 * - `apply(action, ctx)`, whose effects come only through the context (clock, log, signal, ssh,
 *   relay, dhcp), returning a StepResult;
 * - the condition it owns in the status report.
 * They are registered by hand in controllers/index.ts, which is also where conditions come from.
 * The shape follows controller-runtime's Reconciler contract (read, not copied): a keyed request,
 * a level-triggered look at whole state, a result that may ask to requeue.
 */
import type { Logger } from 'pino';
import type { NodeSpec, PoliciesSpec, PowerState, RackSpec, StackSpec } from '../model/desired.ts';
import type { NodeFacts } from '../model/observed.ts';
import type { Action, NodeAction, RackAction, StackAction } from '../model/actions.ts';
import type { ConditionType, EnlistmentProgress, RackEvent } from '../model/status.ts';
import type { StepResult } from '../model/step.ts';
import type { SshRunner, SshTarget } from '../ssh/types.ts';
import type { RelayDriver } from '../relay/types.ts';
import type { Stagger } from '../relay/stagger.ts';
import type { Bindings } from '../dhcp/bindings.ts';
import type { HostEntry, WriteHostsResult } from '../dhcp/hosts.ts';
import type { Lease } from '../dhcp/leases.ts';
import type { Clock } from '../util/clock.ts';

export type Scope = 'node' | 'stack' | 'rack';

/** An event before the event log numbers and timestamps it. */
export type RackEventInput = Omit<RackEvent, 'seq' | 'at'>;

/** DHCP side effects, injected. */
export interface DhcpContext {
  writeHosts(entries: readonly HostEntry[]): Promise<WriteHostsResult>;
  /** The dnsmasq hosts file as it is now; undefined when it does not exist. */
  readHosts(): Promise<readonly HostEntry[] | undefined>;
  readLeases(): Promise<readonly Lease[]>;
  readBindings(): Promise<Bindings>;
  writeBindings(bindings: Bindings): Promise<void>;
}

/** Every effect a controller may use, and nothing else (STYLE.md §7). */
export interface Effects {
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly ssh: SshRunner;
  readonly relay: RelayDriver;
  readonly dhcp: DhcpContext;
  readonly emit: (event: RackEventInput) => void;
}

/** The context of a Pi's executors. */
export interface NodeContext extends Effects {
  readonly node: NodeSpec;
  readonly target: SshTarget;
  readonly policies: PoliciesSpec;
  /** Epoch ms (the clock's). */
  readonly now: () => number;
}

/** The context of a stack's or the rack's executors. */
export interface RackContext extends Effects {
  /** The rack as it is desired now (rack.yaml with the operator's overrides). */
  readonly rack: RackSpec;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Shared by every switch-on of the process (inrush spacing). */
  readonly stagger: Stagger;
  /** Whether a Pi answers at its fixed address (enlistment's last check). */
  readonly isReachable: (ip: string, signal: AbortSignal) => Promise<boolean>;
  /** Enlistment progress, written into the observed-state store. */
  readonly onEnlistProgress?: (progress: EnlistmentProgress) => void;
}

/** An operator's request, with who made it and when (epoch ms). */
export interface OperatorMark {
  readonly by: string;
  readonly at: number;
  /** A power cut asked for with `--hard`: no graceful shutdown of the Pis first. */
  readonly hard?: boolean;
}

/** A stack as it is desired: rack.yaml's, with an operator's power override already applied. */
export interface StackDesired extends StackSpec {
  /** Set when `power` comes from an operator's override rather than rack.yaml. */
  readonly override?: OperatorMark;
  /** A power-cycle the operator asked for and that has not run yet. */
  readonly cycleRequest?: OperatorMark;
}

/** The rack as it is desired, with an operator's "enlist now" request. */
export type RackDesired = RackSpec & {
  /** Stacks that came up short at this revision before this request are tried again. */
  readonly enlistRequest?: OperatorMark;
};

/** Whether a Pi answers, as the store knows it. */
export interface NodeReachability {
  readonly reachable: boolean;
  /** Epoch ms of the first failed look of the current unreachable spell (not before its stack came on). */
  readonly unreachableSince?: number;
}

export interface CycleRecord {
  readonly stack: number;
  /** Epoch ms the cycle started. */
  readonly at: number;
  readonly reason: string;
}

/** What the power controller sees of one stack. */
export interface StackObserved {
  readonly relay: PowerState | 'unknown';
  /** The stack's Pis; a Pi missing here has not been looked at yet (never counts as unreachable). */
  readonly nodes: ReadonlyMap<number, NodeReachability>;
  /** This stack's policy cycles of the last hour (kept in the state dir). */
  readonly cycles: readonly CycleRecord[];
  /** No pass of this stack has finished since the daemon started: its reachability data is too young. */
  readonly firstPass: boolean;
  /** The enlistment owns the stack (being enlisted or waiting its turn): power leaves it alone. */
  readonly enlisting: boolean;
}

export interface EnlistAttempt {
  readonly revision: string;
  /** Epoch ms. */
  readonly at: number;
  readonly found: number;
  readonly expected: number;
  /** The Pis it did not find; a stack whose unbound Pis are no longer these (a released binding) is tried again. */
  readonly missing?: readonly number[];
}

/** What the enlist controller sees of the rack. */
export interface RackObserved {
  readonly leases: readonly Lease[];
  readonly bindings: Bindings;
  /** The dnsmasq hosts file as it is now; undefined when it does not exist. */
  readonly hostsFile?: readonly HostEntry[];
  /** Finished enlistments per stack (kept in the state dir). */
  readonly attempts: Readonly<Record<number, EnlistAttempt>>;
  /** Stacks that needed enlisting when the current round began, for "stack k of n". */
  readonly round: readonly number[];
  /** The stack an enlistment is running on right now, if any. */
  readonly active?: number;
}

/** What a rack-level observer may read. */
export interface ObserveContext {
  readonly relay: RelayDriver;
  readonly dhcp: DhcpContext;
  readonly signal: AbortSignal;
}

interface ScopeTypes {
  node: { desired: NodeSpec; observed: NodeFacts; action: NodeAction; context: NodeContext };
  stack: { desired: StackDesired; observed: StackObserved; action: StackAction; context: RackContext };
  rack: { desired: RackDesired; observed: RackObserved; action: RackAction; context: RackContext };
}

export type FactsKey = Exclude<keyof NodeFacts, 'system'>;

/** A Pi controller's part of the one probe round trip. */
export interface ProbeFragment {
  /** The part of NodeFacts this fragment fills. */
  readonly facts: FactsKey;
  /** POSIX sh printing this controller's facts; must not change anything on the Pi. */
  script(node: NodeSpec): string;
  /** Reads the fragment's output; throws PROBE_GARBAGE when it cannot. */
  parse(output: string, node: NodeSpec): NonNullable<NodeFacts[FactsKey]>;
}

/** A stack controller's read-back: the relay level of one stack. */
export interface StackObserver {
  read(stack: StackSpec, io: ObserveContext): Promise<PowerState | 'unknown'>;
}

/** A rack controller's read-back: leases, bindings and the hosts file. */
export interface RackObserver {
  read(rack: RackSpec, io: ObserveContext): Promise<Pick<RackObserved, 'leases' | 'bindings' | 'hostsFile'>>;
}

type ObserverOf<S extends Scope> = S extends 'node' ? ProbeFragment : S extends 'stack' ? StackObserver : RackObserver;

export interface Controller<S extends Scope = Scope, A extends ScopeTypes[S]['action'] = ScopeTypes[S]['action']> {
  readonly name: string;
  readonly scope: S;
  /** The action kinds this controller plans and executes. */
  readonly kinds: readonly A['kind'][];
  /** The condition it owns: False with `reason` while its actions are pending. */
  readonly condition: { readonly type: ConditionType; readonly reason: string };
  readonly observe: ObserverOf<S>;
  /**
   * Pure: what to do so what is observed matches what is desired. Touches nothing and reads no
   * clock (`now` comes in). `planned` holds what earlier controllers of the same key planned in
   * this pass (services restart after the files they depend on change).
   */
  plan(
    desired: ScopeTypes[S]['desired'],
    observed: ScopeTypes[S]['observed'],
    planned: readonly Action[],
    now: number,
    policies: PoliciesSpec,
  ): A[];
  /** Carries out one action; returns a StepResult and throws only for programmer errors. */
  apply(action: A, ctx: ScopeTypes[S]['context']): Promise<StepResult>;
}

export type NodeController = Controller<'node'>;
export type StackController = Controller<'stack'>;
export type RackController = Controller<'rack'>;
export type AnyController = NodeController | StackController | RackController;
