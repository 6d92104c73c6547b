/**
 * The shape of stack- and rack-level controllers (power, enlist), in the spirit of
 * controller.ts: a pure planner over the whole rack and an effectful executor whose effects come
 * only through RackContext. Each controller keeps what it must remember between passes (cycle
 * history, enlistment attempts) in a `memory` value the caller persists in the state dir and
 * passes back in, so `plan` stays pure.
 */
import type { Logger } from 'pino';
import type { PowerState, RackSpec } from '../model/desired.ts';
import type { RackAction, StackAction } from '../model/actions.ts';
import type { EnlistmentProgress, RackEvent } from '../model/status.ts';
import type { StepResult } from '../model/step.ts';
import type { RelayDriver } from '../relay/types.ts';
import type { Stagger } from '../relay/stagger.ts';
import type { Bindings } from '../dhcp/bindings.ts';
import type { HostEntry, WriteHostsResult } from '../dhcp/hosts.ts';
import type { Lease } from '../dhcp/leases.ts';

/** Whether a Pi answers, as the probes last saw it. */
export interface NodeReachability {
  readonly reachable: boolean;
  /** Epoch ms of the first failed probe of the current unreachable spell. */
  readonly unreachableSince?: number;
}

/** What the rack-level controllers look at, gathered fresh each pass. */
export interface RackObserved {
  /** Relay read-back per stack id; a stack missing here counts as `unknown`. */
  readonly relay: ReadonlyMap<number, PowerState | 'unknown'>;
  /** Per node id; a node missing here has not been probed yet (never counts as unreachable). */
  readonly nodes: ReadonlyMap<number, NodeReachability>;
  readonly leases: readonly Lease[];
  readonly bindings: Bindings;
  /** The dnsmasq hosts file as it is now; undefined when it does not exist. */
  readonly hostsFile?: readonly HostEntry[];
  /**
   * Stacks the enlistment owns now: the one being enlisted and those waiting their turn (they
   * must stay off). The power controller leaves them alone. See `enlistmentOwnedStacks`.
   */
  readonly enlisting: ReadonlySet<number>;
  /** The stack an enlistment is running on right now, if any. */
  readonly enlistmentActive?: number;
}

/** An event before the event log numbers and timestamps it. */
export type RackEventInput = Omit<RackEvent, 'seq' | 'at'>;

/** DHCP side effects, injected. */
export interface DhcpContext {
  writeHosts(entries: readonly HostEntry[]): Promise<WriteHostsResult>;
  readLeases(): Promise<readonly Lease[]>;
  readBindings(): Promise<Bindings>;
  writeBindings(bindings: Bindings): Promise<void>;
}

/** Effects reach a rack-level executor only through this context (STYLE.md §7). */
export interface RackContext {
  readonly rack: RackSpec;
  readonly relay: RelayDriver;
  readonly dhcp: DhcpContext;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly now: () => number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly emit: (event: RackEventInput) => void;
  /** Shared by every switch-on of one pass (and of a `power on all`). */
  readonly stagger: Stagger;
  /** Whether a Pi answers at its fixed address (enlistment's last check). */
  readonly isReachable: (ip: string, signal: AbortSignal) => Promise<boolean>;
  /** Stacks of the current enlistment round (EnlistMemory.round), for "stack k of n". */
  readonly enlistRound?: readonly number[];
  /** Enlistment progress for the CLI, status report and dashboard. */
  readonly onEnlistProgress?: (progress: EnlistmentProgress) => void;
}

export interface RackController<M, A extends StackAction | RackAction> {
  readonly name: string;
  /** The action kinds this controller executes. */
  readonly kinds: readonly A['kind'][];
  /** Pure: what to do so the rack matches rack.yaml. Touches nothing, reads no clock. */
  plan(rack: RackSpec, observed: RackObserved, memory: M, now: number): A[];
  /** Carries out one action; returns a StepResult and throws only for programmer errors. */
  apply(action: A, ctx: RackContext): Promise<StepResult>;
}
