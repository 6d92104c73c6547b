/**
 * The daemon: a desired-state source feeding the reconciler, the status report written after
 * passes, and the facade the HTTP API and dashboard use. Power and enlistment plug in through
 * `PowerPort` so the daemon runs the same with a real relay, the lab or a person.
 */
import type { Logger } from 'pino';
import type { DaemonFacade, DaemonMetrics, OperationResult, PlanEntry, PowerOp, ActionTarget } from './facade.ts';
import type { RackSpec } from '../model/desired.ts';
import type { RackEvent, StatusReport } from '../model/status.ts';
import { describeAction } from '../model/actions.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { actionNames, runActionOn } from './actions.ts';
import { judgeRevisionGuarded, loadLastGood, saveLastGood, type Revision } from './desired-state.ts';

/** Stack power as the daemon needs it; implemented over a relay driver and the power controller. */
export interface PowerPort {
  power(rack: RackSpec, target: { scope: 'stack'; id: number } | { scope: 'rack' }, op: PowerOp): Promise<OperationResult>;
  confirm(stack: number): OperationResult;
  /** Reads every stack's relay and applies the power controller's plan (policy-guarded). */
  reconcile(rack: RackSpec): Promise<void>;
  close(): Promise<void>;
}

export interface DaemonOptions {
  readonly stateDir: string;
  readonly log: Logger;
  readonly power?: (runtime: Runtime) => PowerPort;
  /** Debounce of status.json writes after passes. */
  readonly statusDebounceMs?: number;
}

export class Daemon implements DaemonFacade {
  private runtime?: Runtime;
  private powerPort?: PowerPort;
  private current?: Revision;
  private statusTimer?: NodeJS.Timeout;
  private readonly passDurations: number[] = [];
  private passCount = 0;
  private readonly actionCounts: Record<string, { ok: number; failed: number }> = {};
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly options: DaemonOptions) {}

  /** Starts from the last good revision in the state dir, if any, before the source reports. */
  async resumeLastGood(): Promise<void> {
    const lastGood = await loadLastGood(this.options.stateDir);
    if (!lastGood) return;
    const verdict = await judgeRevisionGuarded(this.options.stateDir, lastGood);
    if (verdict.ok) await this.apply(lastGood, verdict.rack);
  }

  /** A new revision from the source. Serialised: revisions are judged one at a time, in order. */
  offer(rev: Revision): Promise<void> {
    this.pending = this.pending.then(() => this.judge(rev)).catch((err: unknown) => {
      this.options.log.error({ err }, 'could not take a new revision');
    });
    return this.pending;
  }

  private async judge(rev: Revision): Promise<void> {
    if (this.current?.revision === rev.revision) return;
    const verdict = await judgeRevisionGuarded(this.options.stateDir, rev);
    const log = this.options.log.child({ revision: rev.revision });
    if (!verdict.ok) {
      log.error({ errors: verdict.errors }, `revision rejected: ${verdict.errors.length} problem(s); keeping ${this.current?.revision ?? 'nothing'}`);
      if (this.runtime) {
        this.runtime.tracker.revisions = { ...this.runtime.tracker.revisions, lastAttemptedRevision: rev.revision, revisionErrors: [...verdict.errors] };
        this.runtime.events.add({ kind: 'revision-rejected', target: 'rack', message: `${rev.revision}: ${verdict.errors[0]?.split('\n')[0] ?? ''}${verdict.errors.length > 1 ? ` (+${verdict.errors.length - 1} more)` : ''}`, result: 'failed' });
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

  private async apply(rev: Revision, rack: RackSpec): Promise<void> {
    this.current = rev;
    if (!this.runtime) {
      this.runtime = await openRuntime(rack, { stateDir: this.options.stateDir, log: this.options.log, onPass: (r) => this.onPass(r.durationMs) });
      this.powerPort = this.options.power?.(this.runtime);
      this.wire(this.runtime);
      this.runtime.reconciler.start();
    } else {
      this.runtime.reconciler.setDesired(rack);
    }
    const tracker = this.runtime.tracker;
    tracker.revisions = { lastAppliedRevision: rev.revision, lastAttemptedRevision: rev.revision, revisionErrors: [] };
    if (this.rejectedBeforeStart) {
      tracker.revisions = { ...tracker.revisions, lastAttemptedRevision: this.rejectedBeforeStart.revision, revisionErrors: this.rejectedBeforeStart.errors };
      delete this.rejectedBeforeStart;
    }
    this.runtime.events.add({ kind: 'revision-applied', target: 'rack', message: `now reconciling to ${rev.revision}`, result: 'info' });
    void this.powerPort?.reconcile(rack).catch((err: unknown) => this.options.log.error({ err }, 'power reconcile failed'));
    this.scheduleStatus();
  }

  private wire(runtime: Runtime): void {
    runtime.events.subscribe((event) => {
      if (event.result === 'info') return;
      const counts = (this.actionCounts[event.kind] ??= { ok: 0, failed: 0 });
      counts[event.result === 'ok' ? 'ok' : 'failed']++;
    });
  }

  private onPass(durationMs: number): void {
    this.passCount++;
    this.passDurations.push(durationMs);
    if (this.passDurations.length > 500) this.passDurations.splice(0, 250);
    this.runtime?.tracker.recordPassEnd(durationMs);
    this.scheduleStatus();
  }

  private scheduleStatus(): void {
    this.runtime?.tracker.touch();
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      delete this.statusTimer;
      void this.runtime?.writeStatus().catch((err: unknown) => this.options.log.error({ err }, 'cannot write status.json'));
    }, this.options.statusDebounceMs ?? 200);
  }

  get rack(): RackSpec | undefined {
    return this.runtime?.reconciler.desired;
  }

  get runtimeOrUndefined(): Runtime | undefined {
    return this.runtime;
  }

  // ---- DaemonFacade -------------------------------------------------------------------------

  status(): StatusReport {
    if (!this.runtime) return emptyStatus(this.rejectedBeforeStart);
    return this.runtime.tracker.report(this.runtime.reconciler.desired);
  }

  events(afterSeq?: number): readonly RackEvent[] {
    return this.runtime?.events.list(afterSeq) ?? [];
  }

  subscribe(listener: (event: RackEvent) => void): () => void {
    if (!this.runtime) return () => undefined;
    return this.runtime.events.subscribe(listener);
  }

  async plan(): Promise<readonly PlanEntry[]> {
    if (!this.runtime) return [];
    const results = await this.runtime.reconciler.runOnce({ dryRun: true });
    return results.flatMap((r) => r.error && !r.facts
      ? [{ target: `pi ${r.node}`, kind: 'unreachable', description: r.error.message }]
      : r.planned.map((a) => ({ target: `pi ${r.node}`, kind: a.kind, description: describeAction(a) })));
  }

  actionNames(): readonly string[] {
    return this.rack ? actionNames(this.rack) : [];
  }

  reconcileNow(): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    if (this.runtime.tracker.suspended) return { ok: false, code: 409, message: 'reconciling is suspended; resume first' };
    this.runtime.reconciler.enqueueAll();
    return { ok: true, code: 202, message: 'every Pi queued for a pass' };
  }

  suspend(): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    this.runtime.tracker.suspended = true;
    this.runtime.events.add({ kind: 'suspended', target: 'rack', message: 'reconciling suspended', result: 'info' });
    this.scheduleStatus();
    return { ok: true, code: 200, message: 'suspended: no changes are made until resume' };
  }

  resume(): OperationResult {
    if (!this.runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    this.runtime.tracker.suspended = false;
    this.runtime.events.add({ kind: 'resumed', target: 'rack', message: 'reconciling resumed', result: 'info' });
    this.runtime.reconciler.enqueueAll();
    this.scheduleStatus();
    return { ok: true, code: 200, message: 'resumed' };
  }

  async rebootPi(id: number): Promise<OperationResult> {
    return this.runAction({ scope: 'pi', id }, 'reboot');
  }

  async power(target: { scope: 'stack'; id: number } | { scope: 'rack' }, op: PowerOp): Promise<OperationResult> {
    const rack = this.rack;
    if (!rack || !this.powerPort) return { ok: false, code: 409, message: 'no relay driver configured' };
    if (target.scope === 'stack' && !rack.stacks.some((s) => s.id === target.id)) return { ok: false, code: 404, message: `no stack ${target.id}` };
    return this.powerPort.power(rack, target, op);
  }

  async runAction(target: ActionTarget, action: string): Promise<OperationResult> {
    const rack = this.rack;
    const runtime = this.runtime;
    if (!rack || !runtime) return { ok: false, code: 409, message: 'no valid desired state yet' };
    if (!actionNames(rack).includes(action)) return { ok: false, code: 404, message: `no action ${action}; known: ${actionNames(rack).join(', ')}` };
    const nodes = target.scope === 'rack' ? rack.nodes : target.scope === 'stack' ? rack.nodes.filter((n) => n.stack === target.id) : rack.nodes.filter((n) => n.id === target.id);
    if (nodes.length === 0) return { ok: false, code: 404, message: `no ${target.scope} ${'id' in target ? target.id : ''}`.trim() };
    const outcomes = await runActionOn(runtime.ssh, rack, nodes, action);
    const failed = outcomes.filter((o) => !o.ok);
    const where = target.scope === 'rack' ? 'rack' : `${target.scope} ${target.id}`;
    runtime.events.add({ kind: `action-${action}`, target: where, message: `${action}: ${outcomes.length - failed.length}/${outcomes.length} Pis ok`, result: failed.length === 0 ? 'ok' : 'failed' });
    const data = target.scope === 'pi' ? outcomes[0]!.data : outcomes.map((o) => `pi ${o.node}: ${o.data}`).join('; ');
    return { ok: failed.length === 0, code: failed.length === 0 ? 200 : 500, message: failed.length === 0 ? `${action} done` : `${action} failed on ${failed.length} Pi(s)`, data };
  }

  confirmManualPower(stack: number): OperationResult {
    if (!this.powerPort) return { ok: false, code: 409, message: 'no relay driver configured' };
    return this.powerPort.confirm(stack);
  }

  metrics(): DaemonMetrics {
    return { passDurationsMs: [...this.passDurations], passCount: this.passCount, actionsTotal: { ...this.actionCounts }, sshConnections: this.runtime?.ssh.connectionCount() ?? 0 };
  }

  async close(): Promise<void> {
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.runtime?.reconciler.stop();
    await this.powerPort?.close();
    if (this.runtime) {
      await this.runtime.writeStatus().catch(() => undefined);
      await this.runtime.close();
    }
  }
}

function emptyStatus(rejected?: { revision: string; errors: string[] }): StatusReport {
  return {
    generatedAt: new Date().toISOString(),
    rack: {
      name: '(no valid rack.yaml yet)',
      ready: false,
      suspended: false,
      counts: { nodes: 0, ready: 0, unreachable: 0, quarantined: 0 },
      ...(rejected ? { lastAttemptedRevision: rejected.revision } : {}),
      revisionErrors: rejected?.errors ?? [],
      grid: { rows: 1, cols: 1 },
    },
    stacks: [],
    nodes: [],
    lastErrors: [],
  };
}
