/**
 * The daemon: a desired-state source feeding the one reconciler (Pis, stacks and the rack on one
 * queue), the status report written after passes, and the facade the HTTP API and dashboard use.
 * Power and enlistment are keys of the same loop, so the daemon runs the same with a real relay,
 * the lab or a person; operator power is an override layer the loop itself honours.
 */
import type { Logger } from 'pino';
import type { DaemonFacade, DaemonMetrics, OperationResult, PlanEntry, PowerOp, ActionTarget } from './facade.ts';
import type { RackSpec } from '../model/desired.ts';
import type { RackEvent, StatusReport } from '../model/status.ts';
import { parseKey, type WorkKey } from '../reconcile/keys.ts';
import { emptyReport } from '../reconcile/status-tracker.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { actionNames, measurementOf, runActionOn } from './actions.ts';
import { judgeRevisionGuarded, loadLastGood, saveLastGood, type Revision } from './desired-state.ts';
import { alertFor } from '../alerts/events.ts';
import { AlertOutbox } from '../alerts/outbox.ts';

export interface DaemonOptions {
  readonly stateDir: string;
  readonly log: Logger;
  /** Debounce of status.json writes after passes. */
  readonly statusDebounceMs?: number;
}

export class Daemon implements DaemonFacade {
  private runtime?: Runtime;
  private current?: Revision;
  private statusTimer?: NodeJS.Timeout;
  private readonly passDurations: number[] = [];
  private passCount = 0;
  private readonly actionCounts: Record<string, { ok: number; failed: number }> = {};
  private pending: Promise<void> = Promise.resolve();

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
    } else {
      this.runtime.reconciler.setDesired(rack);
    }
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

  reconcileNow(): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    if (this.runtime.reconciler.suspended) return { ok: false, code: 409, message: 'reconciling is suspended; resume first' };
    this.runtime.reconciler.enqueueAll();
    return { ok: true, code: 202, message: 'every Pi queued for a pass' };
  }

  suspend(): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    this.runtime.reconciler.suspend();
    this.runtime.tracker.touch();
    this.runtime.events.add({
      kind: 'suspended',
      target: 'rack',
      message: 'reconciling suspended: every Pi, stack and the rack are held',
      result: 'info',
    });
    this.scheduleStatus();
    return {
      ok: true,
      code: 200,
      message: 'suspended: no Pi, stack or rack changes are made until resume (a daemon restart also resumes)',
    };
  }

  resume(): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    this.runtime.reconciler.resume();
    this.runtime.tracker.touch();
    this.runtime.events.add({ kind: 'resumed', target: 'rack', message: 'reconciling resumed', result: 'info' });
    this.scheduleStatus();
    return { ok: true, code: 200, message: 'resumed' };
  }

  async rebootPi(id: number): Promise<OperationResult> {
    return this.runAction({ scope: 'pi', id }, 'reboot');
  }

  /** An override over rack.yaml (on, off), a one-off cycle, or `clear`; carried out by the loop's stack keys. */
  async power(target: { scope: 'stack'; id: number } | { scope: 'rack' }, op: PowerOp, by = 'the API'): Promise<OperationResult> {
    const rack = this.rack;
    if (!rack || !this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    if (target.scope === 'stack' && !rack.stacks.some((s) => s.id === target.id))
      return { ok: false, code: 404, message: `no stack ${target.id}` };
    if (this.runtime.reconciler.suspended) return { ok: false, code: 409, message: 'reconciling is suspended; resume first' };
    const stacks = target.scope === 'rack' ? rack.stacks.map((s) => s.id) : [target.id];
    const outcome = await this.runtime.reconciler.power(stacks, op, by);
    this.runtime.tracker.touch();
    this.scheduleStatus();
    return { ok: outcome.ok, code: outcome.ok ? 200 : 500, message: outcome.message };
  }

  /** `pirack enlist` through the daemon: accepted at once, progress in the status report. */
  enlist(by = 'the API'): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    if (this.runtime.reconciler.suspended) return { ok: false, code: 409, message: 'reconciling is suspended; resume first' };
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
    if (this.statusTimer) clearTimeout(this.statusTimer);
    await this.alerts.stop();
    if (this.runtime) {
      await this.runtime.writeStatus().catch(() => undefined);
      await this.runtime.close();
    }
  }
}
