/**
 * The observed state of the rack: what the observers last saw (probes of the Pis, relay
 * read-backs, DHCP leases and bindings, later the live stream of each Pi) and what the loop's own
 * passes left behind (pending actions, errors, cycles, enlistments). Observers write it; planners
 * and the status report read it; nothing else keeps a second copy.
 *
 * Writers name what they saw with a `StoreChange`, so listeners (the loop, the status tracker,
 * the stream) learn what changed without diffing. The store reads no clock: every write says
 * when (epoch ms, the loop's clock).
 */
import type { PiRackError } from '../errors.ts';
import type { PowerState } from '../model/desired.ts';
import type { NodeAction, Action } from '../model/actions.ts';
import type { NodeFacts } from '../model/observed.ts';
import type { EnlistmentProgress } from '../model/status.ts';
import type { Bindings } from '../dhcp/bindings.ts';
import type { HostEntry } from '../dhcp/hosts.ts';
import type { Lease } from '../dhcp/leases.ts';
import { cpuPercent } from '../probe/system.ts';
import type { PiHealth } from '../model/health.ts';
import type { CycleRecord, EnlistAttempt, NodeReachability } from './controller.ts';

const HOUR_MS = 3_600_000;

/** Live health a Pi reports between probes (the watch stream, issue 10). */
export type LiveHealth = PiHealth;

export interface NodeObservation {
  /** The last probe that answered. */
  readonly facts?: NodeFacts;
  /** undefined: never looked at since start. */
  readonly reachable?: boolean;
  /** Epoch ms of the first failed look of the current unreachable spell. */
  readonly unreachableSince?: number;
  /** Epoch ms of the last sign of life (a probe, a heartbeat). */
  readonly lastSeen?: number;
  readonly quarantined: boolean;
  /** Not looked at because its stack is meant to be off; by whom. */
  readonly poweredOff?: { readonly by: string };
  /** What the last pass left to do (empty when it converged). */
  readonly remaining: readonly NodeAction[];
  /** The error that ended the last pass, if any. */
  readonly error?: PiRackError;
  readonly errorAt?: number;
  readonly cpuPercent?: number;
  /** The live stream (issue 10): last heartbeat, health, last change notice, its state. */
  readonly heartbeatAt?: number;
  readonly health?: LiveHealth;
  readonly changeNoticeAt?: number;
  readonly stream?: 'open' | 'lost' | 'unsupported';
  /** Why the Pi cannot stream (it is polled instead), while `stream` is 'unsupported'. */
  readonly streamNote?: string;
  /** What the slave said it cannot watch (the resync covers those). */
  readonly watchProblems?: readonly string[];
}

export interface StackObservation {
  readonly relay: PowerState | 'unknown';
  readonly relayAt?: number;
  /** Since when the stack is on (read back or switched on by us): Pis booting since then are not "dead". */
  readonly onSince?: number;
  /** Passes of the stack's key since start; the power-cycle policy waits for one. */
  readonly passes: number;
  readonly remaining: readonly Action[];
  readonly error?: PiRackError;
}

export interface RackObservation {
  readonly leases: readonly Lease[];
  readonly leasesAt?: number;
  readonly bindings: Bindings;
  readonly hostsFile?: readonly HostEntry[];
  readonly remaining: readonly Action[];
  readonly error?: PiRackError;
}

export interface EnlistMemory {
  readonly attempts: Readonly<Record<number, EnlistAttempt>>;
  readonly round: readonly number[];
  readonly active?: number;
  readonly progress?: EnlistmentProgress;
}

export type StoreChange =
  | {
      readonly scope: 'node';
      readonly id: number;
      /** `health`: a heartbeat of a Pi already live, so only its health figures changed. */
      readonly what: 'probe' | 'unreachable' | 'powered-off' | 'pass' | 'heartbeat' | 'health' | 'change-notice' | 'lost' | 'measurement';
    }
  /**
   * A Pi that answered stopped answering (`reachable: false`, with why), or one that was lost
   * answers again. Said once per transition, whoever noticed it (a pass, the stream's missing
   * heartbeats, a heartbeat after a boot): the `node-lost`/`node-back` events and their alerts
   * come from here only. A Pi never seen, or one whose stack is meant to be off, is not "lost".
   */
  | { readonly scope: 'node'; readonly id: number; readonly what: 'reachability'; readonly reachable: boolean; readonly reason: string }
  /** A heartbeat's `vcgencmd get_throttled` bits differ from the last ones heard (under-voltage, throttling). */
  | { readonly scope: 'node'; readonly id: number; readonly what: 'throttled'; readonly before?: number; readonly now?: number }
  | { readonly scope: 'stack'; readonly id: number; readonly what: 'relay' | 'pass' | 'cycle' }
  | { readonly scope: 'rack'; readonly what: 'leases' | 'dhcp' | 'pass' | 'enlistment' | 'error' };

export interface StoreError {
  readonly at: number;
  readonly where: string;
  readonly code: string;
  readonly message: string;
}

const emptyNode: NodeObservation = { quarantined: false, remaining: [] };

export class ObservedStore {
  private readonly nodes = new Map<number, NodeObservation>();
  private readonly stacks = new Map<number, StackObservation>();
  private rackObs: RackObservation = { leases: [], bindings: {}, remaining: [] };
  private cycleList: CycleRecord[] = [];
  private enlistMemory: EnlistMemory = { attempts: {}, round: [] };
  private readonly errorList: StoreError[] = [];
  private lastPassEntry?: { readonly key: string; readonly at: number; readonly durationMs: number };
  private readonly listeners = new Set<(change: StoreChange) => void>();
  /** Pis that answered and then stopped: their next sign of life is a `back` transition. */
  private readonly lostNodes = new Set<number>();

  /** Calls `listener` after every write until the returned function is called. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- Pis: probes and passes ------------------------------------------------------------

  node(id: number): NodeObservation | undefined {
    return this.nodes.get(id);
  }

  /** A probe answered. */
  recordProbe(id: number, facts: NodeFacts, at: number): void {
    const before = this.nodes.get(id) ?? emptyNode;
    const cpu = cpuPercent(before.facts?.system, facts.system) ?? before.cpuPercent;
    const { unreachableSince: _gone, poweredOff: _on, ...rest } = before;
    this.nodes.set(id, {
      ...rest,
      facts,
      reachable: true,
      lastSeen: at,
      quarantined: false,
      ...(cpu !== undefined ? { cpuPercent: cpu } : {}),
    });
    this.emit({ scope: 'node', id, what: 'probe' });
    this.noteAnswered(id, 'answers again');
  }

  /** A look at the Pi failed. */
  recordUnreachable(id: number, error: PiRackError, at: number, quarantined: boolean): void {
    const before = this.nodes.get(id) ?? emptyNode;
    const { poweredOff: _on, ...rest } = before;
    this.nodes.set(id, {
      ...rest,
      reachable: false,
      unreachableSince: before.reachable === false ? (before.unreachableSince ?? at) : at,
      quarantined,
      error,
      errorAt: at,
    });
    this.emit({ scope: 'node', id, what: 'unreachable' });
    this.noteSilent(id, before, `stopped answering: ${error.message}`);
  }

  /** A Pi that was lost answers again: one `back` transition. */
  private noteAnswered(id: number, reason: string): void {
    if (this.lostNodes.delete(id)) this.emit({ scope: 'node', id, what: 'reachability', reachable: true, reason });
  }

  /** A Pi that answered (and is not meant to be off) stopped: one `lost` transition. */
  private noteSilent(id: number, before: NodeObservation, reason: string): void {
    if (before.reachable !== true || before.poweredOff || this.lostNodes.has(id)) return;
    this.lostNodes.add(id);
    this.emit({ scope: 'node', id, what: 'reachability', reachable: false, reason });
  }

  /** A Pi of a stack that is meant to be off: not looked at, not an error. */
  recordPoweredOff(id: number, by: string): void {
    const before = this.nodes.get(id) ?? emptyNode;
    const { error: _e, errorAt: _a, unreachableSince: _u, ...rest } = before;
    this.nodes.set(id, { ...rest, reachable: false, poweredOff: { by }, remaining: [] });
    this.emit({ scope: 'node', id, what: 'powered-off' });
  }

  /** What a finished pass left to do, and the error that ended it. */
  recordNodePass(id: number, remaining: readonly NodeAction[], error: PiRackError | undefined, at: number): void {
    const before = this.nodes.get(id) ?? emptyNode;
    const { error: _e, errorAt: _a, ...rest } = before;
    this.nodes.set(id, { ...rest, remaining, ...(error ? { error, errorAt: at } : {}) });
    if (error) this.recordError(`pi ${id}`, error, at);
    this.emit({ scope: 'node', id, what: 'pass' });
  }

  // ---- Pis: the live stream (issue 10 writes here) -----------------------------------------

  /** A heartbeat, with live health when it carries some: the Pi answers. */
  recordHeartbeat(id: number, at: number, health?: LiveHealth): void {
    const before = this.nodes.get(id) ?? emptyNode;
    const { unreachableSince: _u, streamNote: _n, ...rest } = before;
    this.nodes.set(id, {
      ...rest,
      reachable: before.poweredOff ? before.reachable : true,
      heartbeatAt: at,
      lastSeen: at,
      stream: 'open',
      ...(health ? { health } : {}),
    });
    // 48 Pis beat every second: most beats only bring new figures, and the status need not
    // recompute the Pi's conditions for those.
    const routine = before.reachable === true && before.stream === 'open' && !before.poweredOff && before.streamNote === undefined;
    this.emit({ scope: 'node', id, what: routine ? 'health' : 'heartbeat' });
    if (!before.poweredOff) this.noteAnswered(id, 'answers again (watch stream)');
    const was = before.health?.throttled;
    if (health && health.throttled !== was) this.emit({ scope: 'node', id, what: 'throttled', before: was, now: health.throttled });
  }

  /** The slave took the watch spec; what it cannot watch is kept for the status report. */
  recordWatchProblems(id: number, problems: readonly string[]): void {
    this.nodes.set(id, { ...(this.nodes.get(id) ?? emptyNode), watchProblems: [...problems] });
  }

  /**
   * A value an operator's `execute cpu|temperature` measured: the Pi's resource carries it, as the
   * original's did, until a heartbeat's health or a newer measurement replaces it.
   */
  recordMeasurement(id: number, measured: Pick<LiveHealth, 'cpuPercent' | 'temperatureC'>): void {
    const before = this.nodes.get(id) ?? emptyNode;
    this.nodes.set(id, { ...before, health: { ...before.health, ...measured } });
    this.emit({ scope: 'node', id, what: 'measurement' });
  }

  /** The Pi says something a controller manages may have changed: the loop looks again. */
  recordChangeNotice(id: number, at: number): void {
    this.nodes.set(id, { ...(this.nodes.get(id) ?? emptyNode), changeNoticeAt: at });
    this.emit({ scope: 'node', id, what: 'change-notice' });
  }

  /** Missing heartbeats or a closed stream: the Pi counts as unreachable from now. */
  recordLost(id: number, at: number, error: PiRackError): void {
    // Health from a Pi that is gone is not its health now.
    const { health: _h, ...before } = this.nodes.get(id) ?? emptyNode;
    this.nodes.set(id, {
      ...before,
      reachable: false,
      unreachableSince: before.unreachableSince ?? at,
      stream: 'lost',
      error,
      errorAt: at,
    });
    this.emit({ scope: 'node', id, what: 'lost' });
    this.noteSilent(id, before, `stopped answering: ${error.message}`);
  }

  /** The stream cannot run on this Pi (an old slave): the loop falls back to polling. */
  recordStreamUnsupported(id: number, reason?: string): void {
    const { health: _h, ...before } = this.nodes.get(id) ?? emptyNode;
    this.nodes.set(id, { ...before, stream: 'unsupported', ...(reason ? { streamNote: reason } : {}) });
    this.emit({ scope: 'node', id, what: 'lost' });
  }

  // ---- stacks ----------------------------------------------------------------------------

  stack(id: number): StackObservation | undefined {
    return this.stacks.get(id);
  }

  recordRelay(id: number, level: PowerState | 'unknown', at: number): void {
    const before = this.stacks.get(id) ?? { relay: 'unknown', passes: 0, remaining: [] };
    const { onSince: _o, ...rest } = before;
    const onSince = level === 'on' ? (before.onSince ?? at) : undefined;
    this.stacks.set(id, { ...rest, relay: level, relayAt: at, ...(onSince !== undefined ? { onSince } : {}) });
    if (before.relay !== level) this.emit({ scope: 'stack', id, what: 'relay' });
  }

  /** We switched the stack on (or cycled it) at `at`: its Pis are booting from then. */
  recordSwitchedOn(id: number, at: number): void {
    const before = this.stacks.get(id) ?? { relay: 'on', passes: 0, remaining: [] };
    this.stacks.set(id, { ...before, relay: 'on', relayAt: at, onSince: at });
    this.emit({ scope: 'stack', id, what: 'relay' });
  }

  recordStackPass(id: number, remaining: readonly Action[], error: PiRackError | undefined, at: number): void {
    const before = this.stacks.get(id) ?? { relay: 'unknown', passes: 0, remaining: [] };
    const { error: _e, ...rest } = before;
    this.stacks.set(id, { ...rest, passes: before.passes + 1, remaining, ...(error ? { error } : {}) });
    if (error) this.recordError(`stack ${id}`, error, at);
    this.emit({ scope: 'stack', id, what: 'pass' });
  }

  /** A Pi's reachability as the power-cycle policy sees it: the clock starts when its stack came on. */
  reachability(node: number, stack: number): NodeReachability | undefined {
    const seen = this.nodes.get(node);
    if (seen?.reachable === undefined || seen.poweredOff) return undefined;
    if (seen.reachable) return { reachable: true };
    const on = this.stacks.get(stack)?.onSince;
    const since =
      seen.unreachableSince === undefined ? undefined : on !== undefined && on > seen.unreachableSince ? on : seen.unreachableSince;
    return { reachable: false, ...(since !== undefined ? { unreachableSince: since } : {}) };
  }

  /** Policy power-cycles of the last hour, as of `now`. */
  cycles(now: number): readonly CycleRecord[] {
    return this.cycleList.filter((c) => c.at > now - HOUR_MS);
  }

  recordCycle(record: CycleRecord): void {
    this.cycleList = [...this.cycleList.filter((c) => c.at > record.at - HOUR_MS), record];
    this.emit({ scope: 'stack', id: record.stack, what: 'cycle' });
  }

  /** Cycles loaded from the state dir at start. */
  restoreCycles(cycles: readonly CycleRecord[]): void {
    this.cycleList = [...cycles];
  }

  // ---- the rack: DHCP and enlistment ---------------------------------------------------------

  get rack(): RackObservation {
    return this.rackObs;
  }

  recordLeases(leases: readonly Lease[], at: number): void {
    this.rackObs = { ...this.rackObs, leases, leasesAt: at };
    this.emit({ scope: 'rack', what: 'leases' });
  }

  recordDhcp(bindings: Bindings, hostsFile: readonly HostEntry[] | undefined): void {
    const { hostsFile: _h, ...rest } = this.rackObs;
    this.rackObs = { ...rest, bindings, ...(hostsFile ? { hostsFile } : {}) };
    this.emit({ scope: 'rack', what: 'dhcp' });
  }

  recordRackPass(remaining: readonly Action[], error: PiRackError | undefined, at: number): void {
    const { error: _e, ...rest } = this.rackObs;
    this.rackObs = { ...rest, remaining, ...(error ? { error } : {}) };
    if (error) this.recordError('rack', error, at);
    this.emit({ scope: 'rack', what: 'pass' });
  }

  get enlistment(): EnlistMemory {
    return this.enlistMemory;
  }

  /** Updates the enlistment memory (attempts, round, the active stack, progress). */
  recordEnlistment(update: (memory: EnlistMemory) => EnlistMemory): void {
    const next = update(this.enlistMemory);
    if (next === this.enlistMemory) return;
    this.enlistMemory = next;
    this.emit({ scope: 'rack', what: 'enlistment' });
  }

  // ---- errors and passes -----------------------------------------------------------------

  recordError(where: string, error: PiRackError, at: number): void {
    this.errorList.push({ at, where, code: error.code, message: error.message });
    if (this.errorList.length > 50) this.errorList.splice(0, this.errorList.length - 50);
  }

  /** The most recent errors, newest first. */
  errors(limit = 20): readonly StoreError[] {
    return [...this.errorList].reverse().slice(0, limit);
  }

  /**
   * One pass of one key (a Pi, a stack, the rack) finished: `lastPass` is always that, in the
   * daemon and in `apply --once` alike.
   */
  recordPassEnd(key: string, at: number, durationMs: number): void {
    this.lastPassEntry = { key, at, durationMs };
  }

  get lastPass(): { readonly key: string; readonly at: number; readonly durationMs: number } | undefined {
    return this.lastPassEntry;
  }

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
