/**
 * The reconcile loop for the Pis of one rack. Level-triggered: events (a new desired revision, a
 * resync tick, "reconcile now", a node coming back) only decide when a Pi is looked at; each look
 * compares the whole desired state of the Pi with a fresh observation.
 */
import type { Logger } from 'pino';
import type { NodeSpec, RackSpec } from '../model/desired.ts';
import type { NodeAction } from '../model/actions.ts';
import { describeAction } from '../model/actions.ts';
import type { StepResult } from '../model/step.ts';
import type { SshRunner } from '../ssh/types.ts';
import type { EventLog } from '../state/event-log.ts';
import type { NodeController } from './controller.ts';
import { reconcileNode, type NodePassResult } from './node-pass.ts';
import { WorkQueue } from './queue.ts';
import type { StatusTracker } from './status-tracker.ts';

export interface ReconcilerDeps {
  readonly ssh: SshRunner;
  readonly controllers: readonly NodeController[];
  readonly tracker: StatusTracker;
  readonly events: EventLog;
  readonly log: Logger;
  readonly now?: () => number;
  /** Called after each node pass (the daemon writes status.json, debounced). */
  readonly onPass?: (result: NodePassResult) => void;
}

export interface RunOnceOptions {
  readonly dryRun?: boolean;
  readonly maxRounds?: number;
  readonly signal?: AbortSignal;
  /** Only these Pis (all when absent). */
  readonly nodes?: readonly number[];
  readonly onProgress?: (done: number, total: number, result: NodePassResult) => void;
}

export class Reconciler {
  private rack: RackSpec;
  private queue?: WorkQueue<number>;
  private resyncTimer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly lastResults = new Map<number, NodePassResult>();

  constructor(rack: RackSpec, private readonly deps: ReconcilerDeps) {
    this.rack = rack;
    this.now = deps.now ?? Date.now;
  }

  get desired(): RackSpec {
    return this.rack;
  }

  /** The last pass of each Pi (for `plan` over the API without touching anything). */
  lastResult(node: number): NodePassResult | undefined {
    return this.lastResults.get(node);
  }

  /** Every Pi once, with bounded concurrency; resolves with one result per Pi. */
  async runOnce(options: RunOnceOptions = {}): Promise<NodePassResult[]> {
    const wanted = options.nodes ? new Set(options.nodes) : undefined;
    const nodes = this.rack.nodes.filter((n) => !wanted || wanted.has(n.id));
    const results: NodePassResult[] = [];
    const signal = options.signal ?? new AbortController().signal;
    const queue = new WorkQueue<number>({
      concurrency: this.rack.ssh.concurrency,
      backoffBaseMs: 0,
      backoffMaxMs: 0,
      worker: async (id) => {
        const result = await this.passNode(this.nodeSpec(id)!, { dryRun: options.dryRun ?? false, maxRounds: options.maxRounds ?? 3, signal });
        results.push(result);
        options.onProgress?.(results.length, nodes.length, result);
        return 'done';
      },
    });
    for (const node of nodes) queue.add(node.id);
    await queue.whenIdle();
    return results.sort((a, b) => a.node - b.node);
  }

  /** Starts continuous reconciliation: every Pi now, then on events and every resync interval. */
  start(): void {
    const policies = this.rack.policies;
    this.queue = new WorkQueue<number>({
      concurrency: this.rack.ssh.concurrency,
      backoffBaseMs: policies.backoffBaseMs,
      backoffMaxMs: policies.backoffMaxMs,
      worker: (id, signal) => this.daemonWorker(id, signal),
      onWorkerError: (id, err) => this.deps.log.error({ err, node: id }, 'worker crashed'),
    });
    this.enqueueAll();
    this.scheduleResync();
  }

  stop(): void {
    this.queue?.stop();
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
  }

  /** A new desired revision: every Pi is looked at against it. */
  setDesired(rack: RackSpec): void {
    this.rack = rack;
    if (this.queue) {
      this.enqueueAll();
      this.scheduleResync();
    }
  }

  enqueueAll(): void {
    if (this.deps.tracker.suspended) return;
    for (const node of this.rack.nodes) this.queue?.add(node.id);
  }

  enqueue(node: number): void {
    if (!this.deps.tracker.suspended) this.queue?.add(node);
  }

  isIdle(): boolean {
    return this.queue?.isIdle() ?? true;
  }

  private scheduleResync(): void {
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      this.enqueueAll();
      this.scheduleResync();
    }, this.rack.policies.resyncIntervalMs);
    this.resyncTimer.unref();
  }

  private async daemonWorker(id: number, signal: AbortSignal): Promise<'done' | 'retry'> {
    const node = this.nodeSpec(id);
    if (!node || this.deps.tracker.suspended) return 'done';
    // A stack rack.yaml wants off has nothing to answer: say so rather than retry a dead address.
    if (this.rack.stacks.find((s) => s.id === node.stack)?.power === 'off') {
      this.deps.tracker.recordPoweredOff(node.id);
      return 'done';
    }
    const result = await this.passNode(node, { dryRun: false, maxRounds: 2, signal });
    if (result.error) return result.error.transient ? 'retry' : 'done';
    // Still not converged without an error (a step that needs another pass): look again soon.
    return result.remaining.length > 0 ? 'retry' : 'done';
  }

  private nodeSpec(id: number): NodeSpec | undefined {
    return this.rack.nodes.find((n) => n.id === id);
  }

  private async passNode(node: NodeSpec, options: { dryRun: boolean; maxRounds: number; signal: AbortSignal }): Promise<NodePassResult> {
    const result = await reconcileNode(node, {
      ssh: this.deps.ssh,
      controllers: this.deps.controllers,
      policies: this.rack.policies,
      sshPort: this.rack.ssh.port,
      log: this.deps.log,
      now: this.now,
      onStep: (n, action, step) => this.recordStep(n, action, step),
    }, options);
    const wasReachable = this.lastResults.get(node.id)?.facts !== undefined;
    const isReachable = result.facts !== undefined;
    if (wasReachable !== isReachable && this.lastResults.has(node.id)) {
      this.deps.events.add({
        kind: isReachable ? 'node-back' : 'node-lost',
        target: `pi ${node.id}`,
        message: isReachable ? 'answers again' : `stopped answering: ${result.error?.message ?? 'no answer'}`,
        result: 'info',
      });
    }
    this.lastResults.set(node.id, result);
    this.deps.tracker.recordPass(result, result.error?.code === 'PIRACK_ERR_SSH_HOSTKEY_CHANGED');
    this.deps.onPass?.(result);
    return result;
  }

  private recordStep(node: NodeSpec, action: NodeAction, step: StepResult): void {
    this.deps.events.add({
      kind: action.kind,
      target: `pi ${node.id}`,
      message: step.ok ? describeAction(action) : `${describeAction(action)}: ${step.error?.message ?? 'failed'}`,
      result: step.ok ? 'ok' : 'failed',
      durationMs: Math.round(step.durationMs),
    });
    const log = this.deps.log.child({ node: node.id, kind: action.kind });
    if (step.ok) log.info({ durationMs: Math.round(step.durationMs) }, describeAction(action));
    else log.warn({ err: step.error, stderr: step.stderrTail }, `${describeAction(action)} failed`);
  }
}
