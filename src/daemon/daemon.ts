/**
 * The daemon: a desired-state source feeding the one reconciler (Pis, stacks and the rack on one
 * queue), the status report written after passes, and the facade the HTTP API and dashboard use.
 * Power and enlistment are keys of the same loop, so the daemon runs the same with a real relay,
 * the lab or a person; operator power is an override layer the loop itself honours.
 */
import type { Logger } from 'pino';
import type { DaemonFacade, DaemonMetrics, HoldTarget, OperationResult, PlanEntry, PowerOp, ActionTarget } from './facade.ts';
import type { RackSpec } from '../model/desired.ts';
import type { RackEvent, StatusReport } from '../model/status.ts';
import { parseKey, piKey, RACK_KEY, stackKey, type WorkKey } from '../reconcile/keys.ts';
import { describeHold, holdTargetLabel } from '../reconcile/maintenance.ts';
import { emptyReport } from '../reconcile/status-tracker.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { systemClock } from '../util/clock.ts';
import { actionNames, isDisruptive, measurementOf, runActionOn } from './actions.ts';
import { isPiRackError } from '../errors.ts';
import { prepareRun, type RunReport, type RunRequest } from './rolling.ts';
import { readyByPass } from './reboot.ts';
import { RunRegistry } from './runs.ts';
import { judgeRevisionGuarded, loadLastGood, saveLastGood, type Revision } from './desired-state.ts';
import { openLiveWiring, type LiveWiring } from './live-wiring.ts';
import type { StreamTuning } from '../stream/index.ts';
import { alertFor } from '../alerts/events.ts';
import { AlertOutbox } from '../alerts/outbox.ts';

export interface DaemonOptions {
  readonly stateDir: string;
  readonly log: Logger;
  /** Debounce of status.json writes after passes. */
  readonly statusDebounceMs?: number;
  /**
   * One watch stream per Pi (docs/architecture.md, "The watch stream"). Default on; off
   * (`pirack daemon --no-watch-stream`) leaves only the resync, as before issue 10.
   */
  readonly watchStream?: boolean;
  /** Stream timings (tests and benchmarks only; the defaults are the product's). */
  readonly streamTuning?: Partial<StreamTuning>;
}

export class Daemon implements DaemonFacade {
  private runtime?: Runtime;
  private live?: LiveWiring;
  private current?: Revision;
  private statusTimer?: NodeJS.Timeout;
  private readonly passDurations: number[] = [];
  private passCount = 0;
  private readonly actionCounts: Record<string, { ok: number; failed: number }> = {};
  private pending: Promise<void> = Promise.resolve();
  private runs?: RunRegistry;

  /** rack.yaml `alerts.webhooks`: persisted, retried deliveries (src/alerts/outbox.ts). */
  private readonly alerts: AlertOutbox;

  constructor(private readonly options: DaemonOptions) {
    this.alerts = new AlertOutbox({ stateDir: options.stateDir, log: options.log.child({ component: 'alerts' }) });
  }

  /** Starts from the last good revision in the state dir, if any, before the source reports. */
  async resumeLastGood(): Promise<void> {
    const lastGood = await loadLastGood(this.options.stateDir);
    if (!lastGood) return;
    const verdict = await judgeRevisionGuarded(this.options.stateDir, lastGood);
    if (verdict.ok) await this.apply(lastGood, verdict.rack);
  }

  /** A new revision from the source. Serialised: revisions are judged one at a time, in order. */
  offer(rev: Revision): Promise<void> {
    this.pending = this.pending
      .then(() => this.judge(rev))
      .catch((err: unknown) => {
        this.options.log.error({ err }, 'could not take a new revision');
      });
    return this.pending;
  }

  private async judge(rev: Revision): Promise<void> {
    if (this.current?.revision === rev.revision) return;
    const verdict = await judgeRevisionGuarded(this.options.stateDir, rev);
    const log = this.options.log.child({ revision: rev.revision });
    if (!verdict.ok) {
      log.error(
        { errors: verdict.errors },
        `revision rejected: ${verdict.errors.length} problem(s); keeping ${this.current?.revision ?? 'nothing'}`,
      );
      if (this.runtime) {
        this.revisions = { ...this.revisions, lastAttemptedRevision: rev.revision, revisionErrors: [...verdict.errors] };
        this.runtime.setRevisions(this.revisions);
        this.runtime.events.add({
          kind: 'revision-rejected',
          target: 'rack',
          message: `${rev.revision}: ${verdict.errors[0]?.split('\n')[0] ?? ''}${verdict.errors.length > 1 ? ` (+${verdict.errors.length - 1} more)` : ''}`,
          result: 'failed',
        });
        this.scheduleStatus();
      } else {
        this.rejectedBeforeStart = { revision: rev.revision, errors: [...verdict.errors] };
      }
      return;
    }
    for (const warning of verdict.warnings) log.warn(warning);
    await this.apply(rev, verdict.rack);
    await saveLastGood(this.options.stateDir, rev);
  }

  private rejectedBeforeStart?: { revision: string; errors: string[] };
  private revisions: { lastAppliedRevision?: string; lastAttemptedRevision?: string; revisionErrors: readonly string[] } = {
    revisionErrors: [],
  };

  private async apply(rev: Revision, rack: RackSpec): Promise<void> {
    this.current = rev;
    this.alerts.setWebhooks(rack.webhooks);
    if (!this.runtime) {
      // What a previous run could not deliver goes out first.
      await this.alerts.load();
      this.alerts.start();
      this.runtime = await openRuntime(rack, {
        stateDir: this.options.stateDir,
        log: this.options.log,
        onPass: (key, durationMs) => this.onPass(key, durationMs),
      });
      this.wire(this.runtime);
      this.runtime.reconciler.start();
      if (this.options.watchStream !== false) this.live = this.openLive(this.runtime);
    } else {
      this.runtime.reconciler.setDesired(rack);
    }
    this.live?.sync(rack);
    this.revisions = { lastAppliedRevision: rev.revision, lastAttemptedRevision: rev.revision, revisionErrors: [] };
    if (this.rejectedBeforeStart) {
      this.revisions = {
        ...this.revisions,
        lastAttemptedRevision: this.rejectedBeforeStart.revision,
        revisionErrors: this.rejectedBeforeStart.errors,
      };
      delete this.rejectedBeforeStart;
    }
    this.runtime.setRevisions(this.revisions);
    this.runtime.events.add({ kind: 'revision-applied', target: 'rack', message: `now reconciling to ${rev.revision}`, result: 'info' });
    this.scheduleStatus();
  }

  private wire(runtime: Runtime): void {
    runtime.events.subscribe((event) => {
      const alert = alertFor(event);
      if (alert) void this.alerts.offer(alert);
    });
    runtime.events.subscribe((event) => {
      if (event.result === 'info') return;
      const counts = (this.actionCounts[event.kind] ??= { ok: 0, failed: 0 });
      counts[event.result === 'ok' ? 'ok' : 'failed']++;
    });
  }

  private openLive(runtime: Runtime): LiveWiring {
    const reconciler = runtime.reconciler;
    return openLiveWiring({
      ssh: runtime.ssh,
      store: runtime.store,
      enqueue: (key) => reconciler.enqueue(key),
      clock: { now: () => Date.now() },
      log: this.options.log.child({ component: 'stream' }),
      ...(this.options.streamTuning ? { tuning: this.options.streamTuning } : {}),
    });
  }

  /**
   * Turns the watch stream on or off while the daemon runs (the e2e tests' stream-off variants,
   * the benchmark's polling-only row). Off, drift and dead Pis are seen at the resync only.
   */
  setWatchStream(on: boolean): void {
    if (!on) {
      this.live?.stop();
      delete this.live;
      return;
    }
    if (this.live || !this.runtime) return;
    this.live = this.openLive(this.runtime);
    this.live.sync(this.runtime.reconciler.desired);
  }

  /** How many Pis stream now (0 with the stream off). */
  get liveStreams(): number {
    return this.live?.liveCount() ?? 0;
  }

  /** Pi passes feed the pass metrics (what `pass_duration` has always meant); every key's pass may change the status. */
  private onPass(key: WorkKey, durationMs: number): void {
    if (parseKey(key).scope === 'node') {
      this.passCount++;
      this.passDurations.push(durationMs);
      if (this.passDurations.length > 500) this.passDurations.splice(0, 250);
    }
    this.scheduleStatus();
  }

  /** Writes status.json soon (debounced), when the report changed since the last write. */
  private scheduleStatus(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      delete this.statusTimer;
      const runtime = this.runtime;
      if (!runtime) return;
      const at = runtime.tracker.version;
      if (at === this.statusWrittenAt) return;
      this.statusWrittenAt = at;
      void runtime.writeStatus().catch((err: unknown) => this.options.log.error({ err }, 'cannot write status.json'));
    }, this.options.statusDebounceMs ?? 200);
  }

  private statusWrittenAt?: number;

  get rack(): RackSpec | undefined {
    return this.runtime?.reconciler.desired;
  }

  // ---- DaemonFacade -------------------------------------------------------------------------

  status(): StatusReport {
    if (!this.runtime) return emptyReport(new Date(), this.rejectedBeforeStart);
    return this.runtime.tracker.report();
  }

  events(afterSeq?: number): readonly RackEvent[] {
    return this.runtime?.events.list(afterSeq) ?? [];
  }

  subscribe(listener: (event: RackEvent) => void): () => void {
    if (!this.runtime) return () => undefined;
    return this.runtime.events.subscribe(listener);
  }

  /**
   * From the store's cached facts: no probe, no write, no metric. `fresh` first queues a pass of
   * every key through the normal loop and waits for it (at most two minutes).
   */
  async plan(options: { readonly fresh?: boolean } = {}): Promise<readonly PlanEntry[]> {
    if (!this.runtime) return [];
    if (!options.fresh) return this.runtime.reconciler.plan();
    return (await this.runtime.reconciler.freshPlan(120_000)).plan;
  }

  actionNames(): readonly string[] {
    return this.rack ? actionNames(this.rack) : [];
  }

  reconcileNow(pis?: readonly number[]): OperationResult {
    const rack = this.rack;
    if (!this.runtime || !rack) return { ok: false, code: 409, message: 'no valid desired state yet' };
    const reconciler = this.runtime.reconciler;
    if (reconciler.suspended) return { ok: false, code: 409, message: `${describeHold(reconciler.heldBy(RACK_KEY)!)}; resume first` };
    if (!pis) {
      reconciler.enqueueAll();
      return { ok: true, code: 202, message: 'every Pi, stack and the rack queued for a pass' };
    }
    const unknown = pis.filter((id) => !rack.nodes.some((n) => n.id === id));
    if (unknown.length > 0) return { ok: false, code: 404, message: `no pi ${unknown.join(', ')} in rack.yaml; nothing was queued` };
    const held = pis.map((id) => reconciler.heldBy(piKey(id))).find((h) => h !== undefined);
    if (held) return { ok: false, code: 409, message: `${describeHold(held)}; resume it first (nothing was queued)` };
    for (const id of pis) reconciler.enqueue(piKey(id));
    return { ok: true, code: 202, message: `pi ${pis.join(', ')} queued for a pass` };
  }

  suspend(target: HoldTarget = { scope: 'rack' }, mark = { by: 'the API', reason: '' }): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    const missing = this.missingTarget(target);
    if (missing) return missing;
    const hold = this.runtime.reconciler.suspend(target, mark);
    this.runtime.tracker.touch();
    this.runtime.events.add({ kind: 'suspended', target: holdTargetLabel(target), message: describeHold(hold), result: 'info' });
    this.scheduleStatus();
    const reach =
      target.scope === 'rack'
        ? 'no Pi, stack or rack change is made'
        : target.scope === 'stack'
          ? `no pass of its Pis, no relay change or power-cycle of stack ${target.id} and no enlistment of it`
          : `no pass of pi ${target.id}, and no relay change, power-cycle or enlistment of its stack`;
    return {
      ok: true,
      code: 200,
      message: `${holdTargetLabel(target)} suspended: ${reach} until \`pirack resume\` (kept across daemon restarts)`,
    };
  }

  resume(target: HoldTarget = { scope: 'rack' }): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    const missing = this.missingTarget(target);
    if (missing) return missing;
    const removed = this.runtime.reconciler.resume(target);
    if (!removed) {
      const other = this.runtime.reconciler.holds.holds.map(describeHold);
      return {
        ok: false,
        code: 409,
        message: `${holdTargetLabel(target)} is not suspended${other.length > 0 ? ` (holds in force: ${other.join('; ')})` : ''}`,
      };
    }
    this.runtime.tracker.touch();
    this.runtime.events.add({
      kind: 'resumed',
      target: holdTargetLabel(target),
      message: `resumed (was: ${describeHold(removed)})`,
      result: 'info',
    });
    this.scheduleStatus();
    return { ok: true, code: 200, message: `${holdTargetLabel(target)} resumed` };
  }

  /**
   * `pirack replace` bound a new MAC and pinned a new host key for this Pi (it wrote the state
   * dir's files itself, under its hold): the confirmation goes into this daemon's event log, and
   * the Pi's pin, connection and connect backoff start afresh so the new Pi is reached at once.
   */
  recordReplacement(id: number, message: string): OperationResult {
    const runtime = this.runtime;
    if (!runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    const missing = this.missingTarget({ scope: 'pi', id });
    if (missing) return missing;
    runtime.events.add({ kind: 'pi-replaced', target: `pi ${id}`, message, result: 'ok' });
    void runtime.hostKeys.reload().catch(() => undefined);
    runtime.ssh.forget(id);
    runtime.ssh.retryNow(id);
    return { ok: true, code: 200, message: `pi ${id}: replacement recorded` };
  }

  private missingTarget(target: HoldTarget): OperationResult | undefined {
    const rack = this.rack;
    if (!rack || target.scope === 'rack') return undefined;
    const known = target.scope === 'stack' ? rack.stacks.some((s) => s.id === target.id) : rack.nodes.some((n) => n.id === target.id);
    return known ? undefined : { ok: false, code: 404, message: `no ${target.scope} ${target.id} in rack.yaml; nothing was changed` };
  }

  /** The supervised reboot, as a run (202: follow it with GET /api/v1/runs/:id or the event stream). */
  async rebootPi(id: number): Promise<OperationResult> {
    return this.runAction({ scope: 'pi', id }, 'reboot');
  }

  startRun(request: RunRequest): OperationResult & { readonly run?: RunReport } {
    const rack = this.rack;
    const runtime = this.runtime;
    if (!rack || !runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    let prepared;
    try {
      prepared = prepareRun(rack, request);
    } catch (err) {
      if (!isPiRackError(err)) throw err;
      return { ok: false, code: /^no (pi|stack) /.test(err.message) ? 404 : 400, message: err.message };
    }
    this.runs ??= new RunRegistry({ log: this.options.log.child({ component: 'runs' }), emit: (e) => runtime.events.add(e) });
    const active = this.runs.activeDisruptive();
    if (prepared.disruptive && active)
      return {
        ok: false,
        code: 409,
        message: `run ${active.id} (${active.action} on ${active.target}) is still rolling; wait for it to end`,
      };
    const { report } = this.runs.start(prepared, {
      ssh: runtime.ssh,
      port: rack.ssh.port,
      clock: systemClock,
      concurrency: rack.ssh.concurrency,
      ready: readyByPass((ids) => runtime.reconciler.runNodes(ids), 'still pending'),
    });
    return { ok: true, code: 202, message: `${report.message}: run ${report.id}`, run: report };
  }

  getRun(id: string): RunReport | undefined {
    return this.runs?.get(id);
  }

  listRuns(): readonly RunReport[] {
    return this.runs?.list() ?? [];
  }

  /** An override over rack.yaml (on, off), a one-off cycle, or `clear`; carried out by the loop's stack keys. */
  async power(
    target: { scope: 'stack'; id: number } | { scope: 'rack' },
    op: PowerOp,
    options: { readonly hard?: boolean } = {},
    by = 'the API',
  ): Promise<OperationResult> {
    const rack = this.rack;
    if (!rack || !this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    if (target.scope === 'stack' && !rack.stacks.some((s) => s.id === target.id))
      return { ok: false, code: 404, message: `no stack ${target.id}` };
    const stacks = target.scope === 'rack' ? rack.stacks.map((s) => s.id) : [target.id];
    const held = stacks.map((id) => this.runtime!.reconciler.heldBy(stackKey(id))).find((h) => h !== undefined);
    if (held) return { ok: false, code: 409, message: `${describeHold(held)}; resume first (nothing was switched)` };
    const outcome = await this.runtime.reconciler.power(stacks, op, by, options);
    this.runtime.tracker.touch();
    this.scheduleStatus();
    return { ok: outcome.ok, code: outcome.ok ? 200 : 500, message: outcome.message };
  }

  /** `pirack enlist` through the daemon: accepted at once, progress in the status report. */
  enlist(by = 'the API'): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    if (this.runtime.reconciler.suspended)
      return { ok: false, code: 409, message: `${describeHold(this.runtime.reconciler.heldBy(RACK_KEY)!)}; resume first` };
    const log = this.options.log;
    void this.runtime.reconciler.enlist(by).catch((err: unknown) => log.error({ err }, 'enlistment failed'));
    return { ok: true, code: 202, message: 'enlistment requested: stacks that came up short are tried again; follow it in the status' };
  }

  private installing?: Promise<OperationResult>;

  /** The original's install flow: the enlistment of `pirack enlist`, awaited; one at a time, later calls join it. */
  install(by = 'the original client (GET /api/v1.0/installation)'): Promise<OperationResult> {
    if (this.installing) return this.installing;
    const runtime = this.runtime;
    if (!runtime) return Promise.resolve({ ok: false, code: 409, message: 'no valid desired state yet' });
    if (runtime.reconciler.suspended) return Promise.resolve({ ok: false, code: 409, message: 'reconciling is suspended; resume first' });
    const log = this.options.log;
    const run = runtime.reconciler.enlist(by).then(
      (outcome): OperationResult => ({ ok: outcome.ok, code: outcome.ok ? 200 : 500, message: outcome.message }),
      (err: unknown): OperationResult => {
        log.error({ err }, 'installation failed');
        return { ok: false, code: 500, message: `installation failed: ${(err as Error).message}` };
      },
    );
    this.installing = run.finally(() => {
      this.installing = undefined;
      runtime.tracker.touch();
      this.scheduleStatus();
    });
    return this.installing;
  }

  httpSettings(): RackSpec['http'] {
    return this.rack?.http;
  }

  async runAction(target: ActionTarget, action: string): Promise<OperationResult> {
    const rack = this.rack;
    const runtime = this.runtime;
    if (!rack || !runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    if (!actionNames(rack).includes(action))
      return { ok: false, code: 404, message: `no action ${action}; known: ${actionNames(rack).join(', ')}` };
    const nodes =
      target.scope === 'rack'
        ? rack.nodes
        : target.scope === 'stack'
          ? rack.nodes.filter((n) => n.stack === target.id)
          : rack.nodes.filter((n) => n.id === target.id);
    if (nodes.length === 0) return { ok: false, code: 404, message: `no ${target.scope} ${'id' in target ? target.id : ''}`.trim() };
    // A disruptive action rolls (one Pi at a time by default) and is supervised: accepted, followed as a run.
    if (isDisruptive(rack, action)) {
      const selector = target.scope === 'rack' ? ({ scope: 'rack' } as const) : { scope: target.scope, ids: [target.id] };
      const started = this.startRun({ action, selector });
      return started.run ? { ok: true, code: 202, message: started.message, data: started.run.id } : started;
    }
    const outcomes = await runActionOn(runtime.ssh, rack, nodes, action);
    let measured = 0;
    for (const outcome of outcomes) {
      const value = measurementOf(action, outcome);
      if (!value) continue;
      runtime.store.recordMeasurement(outcome.node, value);
      measured++;
    }
    if (measured > 0) {
      runtime.tracker.touch();
      this.scheduleStatus();
    }
    const failed = outcomes.filter((o) => !o.ok);
    const where = target.scope === 'rack' ? 'rack' : `${target.scope} ${target.id}`;
    runtime.events.add({
      kind: `action-${action}`,
      target: where,
      message: `${action}: ${outcomes.length - failed.length}/${outcomes.length} Pis ok`,
      result: failed.length === 0 ? 'ok' : 'failed',
    });
    const data = target.scope === 'pi' ? outcomes[0]!.data : outcomes.map((o) => `pi ${o.node}: ${o.data}`).join('; ');
    return {
      ok: failed.length === 0,
      code: failed.length === 0 ? 200 : 500,
      message: failed.length === 0 ? `${action} done` : `${action} failed on ${failed.length} Pi(s)`,
      data,
    };
  }

  confirmManualPower(stack: number): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    return this.runtime.io.confirmManual(stack)
      ? { ok: true, code: 200, message: `stack ${stack}: confirmation recorded` }
      : { ok: false, code: 409, message: 'the relay driver is not manual' };
  }

  metrics(): DaemonMetrics {
    return {
      passDurationsMs: [...this.passDurations],
      passCount: this.passCount,
      actionsTotal: { ...this.actionCounts },
      sshConnections: this.runtime?.ssh.connectionCount() ?? 0,
    };
  }

  async close(): Promise<void> {
    this.runs?.stopAll();
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.live?.stop();
    await this.alerts.stop();
    if (this.runtime) {
      await this.runtime.writeStatus().catch(() => undefined);
      await this.runtime.close();
    }
  }
}
