/**
 * The one reconcile loop of a rack. Every key (each Pi, each stack, the rack) is an item of one
 * WorkQueue, with the same per-key backoff, the same `transient` rule, the same pass timeout and
 * the same metrics hook. Level-triggered: events (a new desired revision, the resync tick,
 * "reconcile now", a new DHCP lease, a change notice from a Pi, an operator's override) only
 * decide *when* a key is looked at; each pass observes afresh into the store, plans purely and
 * applies through the injected effects.
 *
 * Modes: `apply` (the daemon, `apply --once`, `power`, `enlist`) and `observe` (`pirack plan`:
 * observe into the store, plan, never apply). `runOnce` is `start` without the resync: the same
 * worker, the same queue, powered-off stacks and backoff respected.
 */
import type { Logger } from 'pino';
import { recordAttempt, updateRound } from '../../controllers/enlist.ts';
import { cycleDecision } from '../../controllers/power.ts';
import type { ControllerSet } from '../../controllers/index.ts';
import { pirackError, type PiRackError } from '../errors.ts';
import type { Action, NodeAction } from '../model/actions.ts';
import { describeAction } from '../model/actions.ts';
import type { NodeSpec, RackSpec } from '../model/desired.ts';
import type { StepResult } from '../model/step.ts';
import type { RelayDriver } from '../relay/types.ts';
import type { Stagger } from '../relay/stagger.ts';
import type { SshRunner } from '../ssh/types.ts';
import type { Lease } from '../dhcp/leases.ts';
import { unboundByStack } from '../dhcp/bindings.ts';
import type { Clock } from '../util/clock.ts';
import type { DhcpContext, EnlistAttempt, CycleRecord, RackContext, RackEventInput, StackObserved } from './controller.ts';
import { parseKey, piKey, RACK_KEY, stackKey, type WorkKey } from './keys.ts';
import {
  addHold,
  emptyMaintenance,
  holdOnKey,
  holdOnStack,
  keysOfTarget,
  removeHold,
  describeHold,
  type Hold,
  type HoldTarget,
  type MaintenanceState,
} from './maintenance.ts';
import { reconcileNode, type NodePassResult } from './node-pass.ts';
import type { ObservedStore } from './observed-store.ts';
import {
  clearCycleRequest,
  clearPowerOverrides,
  effectiveRack,
  emptyOperatorState,
  liftStale,
  poweredOffBy,
  requestCycle,
  requestEnlist,
  setPowerOverride,
  stackDesired,
  type OperatorState,
} from './operator-layer.ts';
import { planFromStore, rackObservedFrom, stackObservedFrom, type PlanEntry } from './plan-view.ts';
import { WorkQueue, type WorkOutcome } from './queue.ts';
import { newThrottleTroubles } from '../model/health.ts';

/** How often a stack's relay and the rack's DHCP files are read back, and the policy looked at, while nothing else asks. */
export const STACK_PERIOD_MS = 5_000;

/** The rack-level effects, built once per relay/DHCP configuration (src/daemon/rack-io.ts). */
export interface RackIo {
  relay(rack: RackSpec): RelayDriver;
  dhcp(rack: RackSpec): DhcpContext;
  stagger(rack: RackSpec): Stagger;
  isReachable(rack: RackSpec): (ip: string, signal: AbortSignal) => Promise<boolean>;
}

/** What the loop keeps in the state dir (src/state/rack-memory.ts, src/daemon/cycle-history.ts). */
export interface LoopMemory {
  saveCycles(cycles: readonly CycleRecord[]): Promise<void>;
  saveAttempts(attempts: Readonly<Record<number, EnlistAttempt>>): Promise<void>;
  saveOperator(state: OperatorState): Promise<void>;
  saveMaintenance?(state: MaintenanceState): Promise<void>;
}

export interface ReconcilerDeps {
  readonly controllers: ControllerSet;
  readonly clock: Clock;
  readonly log: Logger;
  readonly ssh: SshRunner;
  readonly io: RackIo;
  readonly store: ObservedStore;
  readonly emit: (event: RackEventInput) => void;
  readonly mode?: 'apply' | 'observe';
  readonly memory?: LoopMemory;
  readonly operator?: OperatorState;
  /** The operator's holds as the state dir kept them (src/reconcile/maintenance.ts). */
  readonly maintenance?: MaintenanceState;
  /** Jitter source of the backoff; default Math.random. */
  readonly random?: () => number;
  /** Watches the DHCP leases (not polled): called by `start`, closed by `stop`. */
  readonly watchLeases?: (rack: RackSpec, onChange: (leases: readonly Lease[]) => void) => { close(): Promise<void> };
  /** After each pass of any key: metrics and the status writer. */
  readonly onPass?: (key: WorkKey, durationMs: number, outcome: WorkOutcome) => void;
}

/** What one pass of one key did. */
export type PassReport =
  | { readonly scope: 'node'; readonly key: WorkKey; readonly result: NodePassResult; readonly poweredOff?: string }
  | {
      readonly scope: 'stack' | 'rack';
      readonly key: WorkKey;
      readonly planned: readonly Action[];
      readonly applied: readonly { readonly action: Action; readonly result: StepResult }[];
      readonly error?: PiRackError;
      readonly durationMs: number;
    };

export interface OperationOutcome {
  readonly ok: boolean;
  readonly message: string;
  readonly reports: readonly PassReport[];
}

/** A node pass that did not change anything asks to be looked at again this soon while still converging. */
const CONVERGING_REQUEUE_MS = 2_000;

export class Reconciler {
  private rack: RackSpec;
  private operator: OperatorState;
  private readonly queue: WorkQueue<WorkKey>;
  private readonly reports = new Map<WorkKey, PassReport>();
  /** The last reason a wanted cycle was held back, per stack: reported once, not every pass. */
  private readonly heldBack = new Map<number, string>();
  private resyncTimer?: unknown;
  private leaseWatch?: { close(): Promise<void> };
  private knownLeases = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private started = false;
  private maintenance: MaintenanceState;

  constructor(
    rack: RackSpec,
    private readonly deps: ReconcilerDeps,
  ) {
    this.rack = rack;
    this.operator = liftStale(deps.operator ?? emptyOperatorState, rack.revision);
    this.maintenance = deps.maintenance ?? emptyMaintenance;
    this.queue = new WorkQueue<WorkKey>({
      concurrency: Math.max(1, rack.ssh.concurrency),
      backoffBaseMs: rack.policies.backoffBaseMs,
      backoffMaxMs: rack.policies.backoffMaxMs,
      timers: deps.clock,
      ...(deps.random ? { random: deps.random } : {}),
      timeoutMs: (key) => this.passTimeout(key),
      worker: (key, signal) => this.work(key, signal),
      onWorkerError: (key, err) => deps.log.error({ err, key }, 'worker crashed'),
    });
    // A Pi that says something changed is looked at now; the stream decides when, never what.
    // The store says once when a Pi is lost or back, whoever noticed: that is the one place the
    // events (and so the owner's alerts) come from.
    this.unsubscribe = deps.store.subscribe((change) => {
      if (change.scope !== 'node') return;
      if (change.what === 'change-notice') this.enqueue(piKey(change.id));
      if (change.what === 'reachability')
        deps.emit({
          kind: change.reachable ? 'node-back' : 'node-lost',
          target: `pi ${change.id}`,
          message: change.reason,
          result: 'info',
        });
      if (change.what === 'throttled')
        for (const t of newThrottleTroubles(change.before, change.now)) deps.emit({ ...t, target: `pi ${change.id}`, result: 'info' });
    });
  }

  /** rack.yaml as last accepted. */
  get desired(): RackSpec {
    return this.rack;
  }

  /** rack.yaml with the operator's layer over it: what every key reconciles to. */
  get effective(): RackSpec {
    return effectiveRack(this.rack, this.operator);
  }

  get operatorState(): OperatorState {
    return this.operator;
  }

  /** The whole rack is held. */
  get suspended(): boolean {
    return this.maintenance.holds.some((h) => h.scope === 'rack');
  }

  get holds(): MaintenanceState {
    return this.maintenance;
  }

  /** The hold that stops this key, if any (a Pi's, its stack's or the rack's). */
  heldBy(key: WorkKey): Hold | undefined {
    return holdOnKey(this.maintenance, this.rack, key);
  }

  /** Every key of the rack, in registry order: stacks, the rack, then the Pis. */
  keys(rack: RackSpec = this.rack): WorkKey[] {
    return [
      ...(this.deps.controllers.stack.length > 0 ? rack.stacks.map((s) => stackKey(s.id)) : []),
      ...(this.deps.controllers.rack.length > 0 ? [RACK_KEY] : []),
      ...rack.nodes.map((n) => piKey(n.id)),
    ];
  }

  /** Continuous reconciling: every key now, then on events and every resync interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.enqueueAll();
    this.scheduleResync();
    this.leaseWatch = this.deps.watchLeases?.(this.rack, (leases) => this.onLeases(leases));
  }

  /**
   * One pass of each key (every key when absent) through the same queue and worker as `start`,
   * resolving with their reports in key order. A key in backoff is run now (an explicit request).
   */
  async runOnce(keys: readonly WorkKey[] = this.keys()): Promise<PassReport[]> {
    const ran = await Promise.all(keys.map((key) => this.queue.passOf(key)));
    return keys
      .filter((_, i) => ran[i])
      .map((key) => this.reports.get(key))
      .filter((r): r is PassReport => r !== undefined);
  }

  /** One pass of each Pi (every Pi when absent): the Pi half of `runOnce`, in id order. */
  async runNodes(ids?: readonly number[]): Promise<NodePassResult[]> {
    const keys = (ids ?? this.rack.nodes.map((n) => n.id)).map(piKey);
    const reports = await this.runOnce(keys);
    return reports.flatMap((r) => (r.scope === 'node' ? [r.result] : [])).sort((a, b) => a.node - b.node);
  }

  async stop(): Promise<void> {
    this.queue.stop();
    this.unsubscribe();
    if (this.resyncTimer !== undefined) this.deps.clock.clearTimeout(this.resyncTimer);
    await this.leaseWatch?.close();
  }

  /** A new desired revision: the operator's overrides of older revisions lift, every key looks again. */
  setDesired(rack: RackSpec): void {
    this.rack = rack;
    const lifted = liftStale(this.operator, rack.revision);
    if (lifted !== this.operator) this.setOperator(lifted);
    if (this.started) {
      this.enqueueAll();
      this.scheduleResync();
    }
  }

  enqueueAll(): void {
    for (const key of this.keys()) this.queue.add(key);
  }

  enqueue(key: WorkKey): void {
    this.queue.add(key);
  }

  /**
   * Holds the keys of a target (the rack by default; see src/reconcile/maintenance.ts for what a
   * hold reaches): running passes finish, nothing new starts. Kept in the state dir.
   */
  suspend(target: HoldTarget = { scope: 'rack' }, mark: { by: string; reason: string } = { by: 'the API', reason: '' }): Hold {
    const hold: Hold = { ...target, by: mark.by, reason: mark.reason, at: this.deps.clock.now() };
    this.setMaintenance(addHold(this.maintenance, hold));
    return hold;
  }

  /** Lifts the hold on exactly this target (the rack by default) and looks at what it freed at once. */
  resume(target: HoldTarget = { scope: 'rack' }): Hold | undefined {
    const { state, removed } = removeHold(this.maintenance, target);
    if (!removed) return undefined;
    this.setMaintenance(state);
    if (target.scope === 'rack') this.enqueueAll();
    else for (const key of keysOfTarget(this.rack, target)) this.queue.add(key);
    return removed;
  }

  private setMaintenance(state: MaintenanceState): void {
    this.maintenance = state;
    void this.deps.memory
      ?.saveMaintenance?.(state)
      .catch((err: unknown) => this.deps.log.warn({ err }, 'cannot save the maintenance holds'));
  }

  /** The plan from the store's cached facts: pure, touches nothing, probes nothing. */
  plan(): PlanEntry[] {
    return planFromStore(this.rack, this.operator, this.deps.store, this.deps.controllers, this.deps.clock.now());
  }

  /** Queues a real look at every key through the normal loop, waits for it, then plans. */
  async freshPlan(timeoutMs: number): Promise<{ plan: PlanEntry[]; fresh: boolean }> {
    let timer: unknown;
    const timeout = new Promise<false>((resolve) => (timer = this.deps.clock.setTimeout(() => resolve(false), timeoutMs)));
    const fresh = await Promise.race([this.runOnce().then(() => true), timeout]);
    this.deps.clock.clearTimeout(timer);
    return { plan: this.plan(), fresh };
  }

  /**
   * An operator's power operation: `on`/`off` become an override over rack.yaml (kept in the state
   * dir, lifted by the next revision or `clear`); `cycle` a one-off request; `clear` lifts the
   * override. The stack keys then run through the normal loop; resolves when they have.
   */
  async power(
    stacks: readonly number[],
    op: 'on' | 'off' | 'cycle' | 'clear',
    by: string,
    options: { readonly hard?: boolean } = {},
  ): Promise<OperationOutcome> {
    const held = stacks.map((id) => this.heldBy(stackKey(id))).find((h) => h !== undefined);
    if (held) return { ok: false, message: `${describeHold(held)}; resume first (nothing was switched)`, reports: [] };
    const at = this.deps.clock.now();
    // `hard`: cut without shutting the Pis down first (controllers/power.ts gracefulCut).
    const hard = options.hard && (op === 'off' || op === 'cycle') ? { hard: true } : {};
    let state = this.operator;
    for (const stack of stacks) {
      if (op === 'cycle') state = requestCycle(state, stack, { by, at, ...hard });
      else if (op === 'clear') state = clearPowerOverrides(state, [stack]);
      else state = setPowerOverride(state, { stack, power: op, by, at, revision: this.rack.revision, ...hard });
    }
    this.setOperator(state);
    const reports = await this.runOnce(stacks.map(stackKey));
    const failed = reports.filter((r) => r.scope !== 'node' && r.error);
    for (const stack of stacks) for (const node of this.rack.stacks.find((s) => s.id === stack)?.nodes ?? []) this.enqueue(piKey(node.id));
    const where = stacks.length === 1 ? `stack ${stacks[0]}` : 'rack';
    const message =
      failed.length > 0
        ? `${where}: power ${op} failed: ${failed.map((r) => (r.scope !== 'node' ? r.error?.message : '')).join('; ')}`
        : `${where}: power ${op} done`;
    this.deps.emit({
      kind: `power-${op}`,
      target: where,
      message:
        failed.length > 0
          ? message
          : `power ${op} by ${by}${op === 'on' || op === 'off' ? ' (kept until the next rack.yaml revision or `pirack power clear`)' : ''}`,
      result: failed.length > 0 ? 'failed' : 'ok',
    });
    return { ok: failed.length === 0, message, reports };
  }

  /**
   * `pirack enlist`: stacks that came up short at this revision are tried again; the rack key runs
   * until no enlistment is left to do, then every stack goes back to its desired power.
   */
  async enlist(by: string): Promise<OperationOutcome> {
    this.setOperator(requestEnlist(this.operator, { by, at: this.deps.clock.now() }));
    const reports: PassReport[] = [];
    // Bounded: each pass enlists one stack or records a short attempt.
    for (let pass = 0; pass <= this.rack.stacks.length; pass++) {
      const [report] = await this.runOnce([RACK_KEY]);
      if (!report || report.scope === 'node') break;
      reports.push(report);
      if (report.error) return { ok: false, message: report.error.message, reports };
      if (!report.applied.some((a) => a.action.kind === 'enlist-stack')) break;
    }
    reports.push(...(await this.runOnce(this.rack.stacks.map((s) => stackKey(s.id)))));
    const error = reports.find((r) => r.scope !== 'node' && r.error);
    return { ok: !error, message: error && error.scope !== 'node' ? error.error!.message : 'enlistment done', reports };
  }

  private setOperator(state: OperatorState): void {
    this.operator = state;
    void this.deps.memory?.saveOperator(state).catch((err: unknown) => this.deps.log.warn({ err }, 'cannot save the operator overrides'));
  }

  private scheduleResync(): void {
    if (this.resyncTimer !== undefined) this.deps.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = this.deps.clock.setTimeout(() => {
      this.enqueueAll();
      this.scheduleResync();
    }, this.rack.policies.resyncIntervalMs);
  }

  /** A new or renewed lease is a Pi (re)appearing: look at it now, not after its backoff. */
  private onLeases(leases: readonly Lease[]): void {
    this.deps.store.recordLeases(leases, this.deps.clock.now());
    const before = this.knownLeases;
    this.knownLeases = new Map(leases.map((l) => [`${l.mac} ${l.ip}`, l.expiry]));
    let news = false;
    for (const lease of leases) {
      if (before.get(`${lease.mac} ${lease.ip}`) === lease.expiry) continue;
      news = true;
      const bound = this.deps.store.rack.bindings;
      const node = this.rack.nodes.find((n) => n.ip === lease.ip || n.mac === lease.mac || bound[n.id]?.mac === lease.mac);
      if (node) this.enqueue(piKey(node.id));
    }
    if (news) this.enqueue(RACK_KEY);
  }

  private passTimeout(key: WorkKey): number {
    const { policies, ssh, relay } = this.rack;
    const parsed = parseKey(key);
    // A manual relay waits for a person: give them an hour.
    const relayWait = relay.driver === 'manual' ? 3_600_000 : 120_000;
    if (parsed.scope === 'node') return Math.max(600_000, ssh.execTimeoutMs * 10);
    if (parsed.scope === 'stack') return policies.powerCycle.minOffMs + relay.staggerMs * (this.rack.stacks.length + 1) + relayWait;
    return policies.enlistWindowMs * 2 + policies.powerCycle.minOffMs * 4 + relayWait + 600_000;
  }

  private async work(key: WorkKey, signal: AbortSignal): Promise<WorkOutcome> {
    // A held key does nothing at all, not even look: resume queues it again.
    if (this.heldBy(key)) return 'done';
    const started = this.deps.clock.now();
    const parsed = parseKey(key);
    let outcome: WorkOutcome;
    if (parsed.scope === 'node') outcome = await this.nodePass(key, parsed.id, signal);
    else if (parsed.scope === 'stack') outcome = await this.stackPass(key, parsed.id, signal);
    else outcome = await this.rackPass(signal);
    const durationMs = this.deps.clock.now() - started;
    this.deps.store.recordPassEnd(key, this.deps.clock.now(), durationMs);
    this.deps.onPass?.(key, durationMs, outcome);
    // Without `start` (the CLI's runOnce) every key gets exactly one pass: no retry behind its back.
    return this.started ? outcome : 'done';
  }

  // ---- a Pi ------------------------------------------------------------------------------

  private async nodePass(key: WorkKey, id: number, signal: AbortSignal): Promise<WorkOutcome> {
    const node = this.rack.nodes.find((n) => n.id === id);
    if (!node) return 'done';
    const store = this.deps.store;
    const offBy = poweredOffBy(this.rack, this.operator, node.stack);
    if (offBy) {
      // Nothing to answer by design: say so rather than retry a dead address.
      store.recordPoweredOff(id, offBy);
      this.reports.set(key, {
        scope: 'node',
        key,
        poweredOff: offBy,
        result: { node: id, planned: [], applied: [], remaining: [], durationMs: 0 },
      });
      return 'done';
    }
    const observeOnly = this.deps.mode === 'observe';
    const relay = this.deps.io.relay(this.rack);
    const result = await reconcileNode(
      node,
      {
        clock: this.deps.clock,
        ssh: this.deps.ssh,
        relay,
        dhcp: this.deps.io.dhcp(this.rack),
        emit: this.deps.emit,
        controllers: this.deps.controllers.node,
        policies: this.rack.policies,
        sshPort: this.rack.ssh.port,
        log: this.deps.log,
        onStep: (n, action, step) => this.recordStep(n, action, step),
      },
      { dryRun: observeOnly, maxRounds: this.started ? 2 : 3, signal },
    );
    const at = this.deps.clock.now();
    if (result.facts) store.recordProbe(id, result.facts, at);
    else if (result.error) store.recordUnreachable(id, result.error, at, result.error.code === 'PIRACK_ERR_SSH_HOSTKEY_CHANGED');
    store.recordNodePass(id, result.remaining as NodeAction[], result.error, at);
    this.reports.set(key, { scope: 'node', key, result });
    if (result.error) return result.error.transient ? 'retry' : 'done';
    if (observeOnly || result.remaining.length === 0) return 'done';
    // Still converging (steps ran, another look is needed): soon, not backed off. Nothing ran and
    // something is still left: that is no progress, so it backs off like a failure.
    return result.applied.length > 0 ? { requeueAfterMs: CONVERGING_REQUEUE_MS } : 'retry';
  }

  private recordStep(node: NodeSpec, action: NodeAction, step: StepResult): void {
    this.deps.emit({
      kind: action.kind,
      target: `pi ${node.id}`,
      message: step.ok ? describeAction(action) : `${describeAction(action)}: ${step.error.message}`,
      result: step.ok ? 'ok' : 'failed',
      durationMs: Math.round(step.durationMs),
    });
    const log = this.deps.log.child({ node: node.id, kind: action.kind });
    if (step.ok) log.info({ durationMs: Math.round(step.durationMs) }, describeAction(action));
    else log.warn({ err: step.error, stderr: step.stderrTail }, `${describeAction(action)} failed`);
  }

  // ---- a stack ---------------------------------------------------------------------------

  private rackContext(signal: AbortSignal): RackContext {
    const rack = this.effective;
    const store = this.deps.store;
    return {
      rack,
      clock: this.deps.clock,
      ssh: this.deps.ssh,
      relay: this.deps.io.relay(this.rack),
      dhcp: this.deps.io.dhcp(this.rack),
      log: this.deps.log,
      signal,
      now: () => this.deps.clock.now(),
      sleep: (ms, s) => this.deps.clock.sleep(ms, s),
      emit: this.deps.emit,
      stagger: this.deps.io.stagger(this.rack),
      isReachable: this.deps.io.isReachable(this.rack),
      onEnlistProgress: (progress) => store.recordEnlistment((m) => ({ ...m, progress })),
    };
  }

  private async stackPass(key: WorkKey, id: number, signal: AbortSignal): Promise<WorkOutcome> {
    const started = this.deps.clock.now();
    const store = this.deps.store;
    const desired = stackDesired(this.rack, this.operator, id);
    if (!desired) return 'done';
    const io = { relay: this.deps.io.relay(this.rack), dhcp: this.deps.io.dhcp(this.rack), signal };
    for (const controller of this.deps.controllers.stack)
      store.recordRelay(id, await controller.observe.read(desired, io), this.deps.clock.now());
    const observed = stackObservedFrom(store, this.effective, desired, this.deps.controllers, this.deps.clock.now());
    const now = this.deps.clock.now();
    const planned: Action[] = [];
    for (const controller of this.deps.controllers.stack)
      planned.push(...controller.plan(desired, observed, planned, now, this.rack.policies));
    const applied: { action: Action; result: StepResult }[] = [];
    let error: PiRackError | undefined;
    if (this.deps.mode !== 'observe') {
      this.reportHeldCycle(desired, observed, planned);
      const ctx = this.rackContext(signal);
      for (const action of planned) {
        const controller = this.deps.controllers.stack.find((c) => (c.kinds as readonly string[]).includes(action.kind))!;
        const result = await controller.apply(action as Parameters<typeof controller.apply>[0], ctx);
        applied.push({ action, result });
        const at = this.deps.clock.now();
        if (action.kind === 'stack-cycle' && desired.cycleRequest)
          this.setOperator(clearCycleRequest(this.operator, id, desired.cycleRequest.at));
        if (!result.ok) {
          error = result.error;
          break;
        }
        if (result.outcome?.kind === 'cycled' || (result.outcome?.kind === 'switched' && result.outcome.on)) {
          store.recordSwitchedOn(id, at);
          // Its Pis are booting: look at them as soon as they can answer.
          for (const node of desired.nodes) this.enqueue(piKey(node.id));
        } else if (result.outcome?.kind === 'switched') {
          store.recordRelay(id, 'off', at);
        }
        if (result.outcome?.kind === 'cycled' && !desired.cycleRequest && action.kind === 'stack-cycle') {
          store.recordCycle({ stack: id, at: started, reason: action.reason });
          void this.deps.memory
            ?.saveCycles(store.cycles(at))
            .catch((err: unknown) => this.deps.log.warn({ err }, 'cannot save the power-cycle history'));
        }
      }
    }
    const remaining = this.deps.mode === 'observe' ? planned : planned.slice(applied.filter((a) => a.result.ok).length);
    store.recordStackPass(id, remaining, error, this.deps.clock.now());
    this.reports.set(key, {
      scope: 'stack',
      key,
      planned,
      applied,
      ...(error ? { error } : {}),
      durationMs: this.deps.clock.now() - started,
    });
    if (error) return error.transient ? 'retry' : 'done';
    // Relay read-back and the cycle policy are level-triggered on time passing: look again soon.
    return this.started ? { requeueAfterMs: STACK_PERIOD_MS } : 'done';
  }

  /**
   * A stack whose Pis are all dead but that the policy will not cycle (rate limit, too soon after
   * the last cycle) gets one event saying why, so an operator sees why nothing happens.
   */
  private reportHeldCycle(stack: NonNullable<ReturnType<typeof stackDesired>>, observed: StackObserved, planned: readonly Action[]): void {
    const policy = this.rack.policies.powerCycle;
    if (!policy.enabled) return;
    const decision = cycleDecision(stack, observed, policy, this.deps.clock.now());
    const held = !decision.cycle && /^(rate limit|cycled recently)/.test(decision.why) && planned.length === 0;
    if (!held) {
      this.heldBack.delete(stack.id);
      return;
    }
    if (this.heldBack.get(stack.id) === decision.why) return;
    this.heldBack.set(stack.id, decision.why);
    this.deps.log.warn({ stack: stack.id, why: decision.why }, 'every Pi of the stack is unreachable, power-cycle held back');
    this.deps.emit({
      kind: 'stack-cycle-held',
      target: `stack ${stack.id}`,
      message: `every Pi unreachable, but no power-cycle: ${decision.why}`,
      result: 'info',
    });
  }

  // ---- the rack --------------------------------------------------------------------------

  private async rackPass(signal: AbortSignal): Promise<WorkOutcome> {
    const started = this.deps.clock.now();
    const store = this.deps.store;
    const rack = this.effective;
    const io = { relay: this.deps.io.relay(this.rack), dhcp: this.deps.io.dhcp(this.rack), signal };
    let error: PiRackError | undefined;
    const planned: Action[] = [];
    const applied: { action: Action; result: StepResult }[] = [];
    try {
      for (const controller of this.deps.controllers.rack) {
        const seen = await controller.observe.read(rack, io);
        store.recordLeases(seen.leases, this.deps.clock.now());
        store.recordDhcp(seen.bindings, seen.hostsFile);
      }
    } catch (err) {
      error =
        err instanceof Error && 'code' in err
          ? (err as PiRackError)
          : pirackError('PIRACK_ERR_DHCP', (err as Error).message, { cause: err, where: 'dhcp' });
    }
    if (!error) {
      store.recordEnlistment((m) => {
        const round = updateRound(m.round, rack, { bindings: store.rack.bindings, attempts: m.attempts });
        return round === m.round ? m : { ...m, round };
      });
      const observed = rackObservedFrom(store);
      const now = this.deps.clock.now();
      for (const controller of this.deps.controllers.rack)
        planned.push(...controller.plan(rack, observed, planned, now, this.rack.policies));
      // Enlisting switches off every stack with unbound Pis, not only its own: while any of them is
      // held (the stack, one of its Pis, or the rack), no enlistment runs.
      if (planned.some((a) => a.kind === 'enlist-stack')) {
        const switched = new Set([
          ...unboundByStack(rack, store.rack.bindings).keys(),
          ...planned.flatMap((a) => (a.kind === 'enlist-stack' ? [a.stack] : [])),
        ]);
        const held = [...switched].map((id) => holdOnStack(this.maintenance, this.rack, id)).find((h) => h !== undefined);
        if (held) {
          planned.splice(0, planned.length, ...planned.filter((a) => a.kind !== 'enlist-stack'));
          this.deps.log.info({ hold: describeHold(held) }, 'enlistment held by maintenance');
        }
      }
      if (this.deps.mode !== 'observe') {
        const ctx = this.rackContext(signal);
        for (const action of planned) {
          const controller = this.deps.controllers.rack.find((c) => (c.kinds as readonly string[]).includes(action.kind))!;
          this.deps.log.info(describeAction(action));
          if (action.kind === 'enlist-stack') store.recordEnlistment((m) => ({ ...m, active: action.stack }));
          const result = await controller.apply(action as Parameters<typeof controller.apply>[0], ctx);
          applied.push({ action, result });
          if (action.kind === 'enlist-stack') {
            store.recordEnlistment(({ active: _a, ...m }) => ({
              ...m,
              ...(m.progress ? { progress: { ...m.progress, active: false } } : {}),
            }));
          }
          if (!result.ok) {
            error = result.error;
            break;
          }
          if (result.outcome?.kind === 'enlisted') {
            const at = this.deps.clock.now();
            const attempts = recordAttempt(store.enlistment.attempts, result.outcome.result, this.rack.revision, at);
            store.recordEnlistment((m) => ({ ...m, attempts }));
            void this.deps.memory
              ?.saveAttempts(attempts)
              .catch((err: unknown) => this.deps.log.warn({ err }, 'cannot save the enlistment attempts'));
            // The enlistment ends with a power-cycle of the stack: its Pis are booting now.
            store.recordSwitchedOn(result.outcome.result.stack, at);
            this.enqueueAll();
          }
        }
      }
    }
    const remaining = this.deps.mode === 'observe' ? planned : planned.slice(applied.filter((a) => a.result.ok).length);
    store.recordRackPass(remaining, error, this.deps.clock.now());
    this.reports.set(RACK_KEY, {
      scope: 'rack',
      key: RACK_KEY,
      planned,
      applied,
      ...(error ? { error } : {}),
      durationMs: this.deps.clock.now() - started,
    });
    if (error) return error.transient ? 'retry' : 'done';
    // One stack enlisted: plan again at once for the next one. Otherwise look again soon: a binding
    // released by `pirack enlist release` or an edited hosts file is a file the rack key reads.
    return applied.some((a) => a.action.kind === 'enlist-stack') ? { requeueAfterMs: 1 } : { requeueAfterMs: STACK_PERIOD_MS };
  }
}

export type { PlanEntry };
