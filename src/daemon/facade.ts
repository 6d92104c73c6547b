/**
 * What the HTTP API and dashboard may ask of a running daemon. The daemon implements it; HTTP
 * tests use a plain object. Every mutation resolves to an OperationResult instead of throwing.
 */
import type { HttpSpec } from '../model/desired.ts';
import type { RackEvent, StatusReport } from '../model/status.ts';
import type { HoldTarget } from '../reconcile/maintenance.ts';

export type { HoldTarget };

export type { PlanEntry } from '../reconcile/plan-view.ts';
import type { PlanEntry } from '../reconcile/plan-view.ts';
import type { RunReport, RunRequest } from './rolling.ts';

export interface OperationResult {
  readonly ok: boolean;
  /** HTTP-ish code the API maps to a status: 200 done, 202 accepted, 400 bad request, 404 unknown target, 409 conflict, 500 failed. */
  readonly code: 200 | 202 | 400 | 404 | 409 | 500;
  readonly message: string;
  /** First line of a command's output, for the original's `{"status":code,"data":…}` shape. */
  readonly data?: string;
}

/** `on`/`off` set an override over rack.yaml, `cycle` is a one-off, `clear` lifts the override. */
export type PowerOp = 'on' | 'off' | 'cycle' | 'clear';

export type ActionTarget =
  { readonly scope: 'pi'; readonly id: number } | { readonly scope: 'stack'; readonly id: number } | { readonly scope: 'rack' };

export interface DaemonFacade {
  status(): StatusReport;
  /** Events after `afterSeq` (all kept ones when absent), oldest first. */
  events(afterSeq?: number): readonly RackEvent[];
  /** Calls `listener` for every new event until the returned function is called. */
  subscribe(listener: (event: RackEvent) => void): () => void;
  /** The current plan, computed from the store's cached observations; touches nothing. `fresh` first runs a pass of every key through the loop. */
  plan(options?: { readonly fresh?: boolean }): Promise<readonly PlanEntry[]>;
  /** Declared action names (rack.yaml `actions`) plus the built-in ones (reboot, ping, cpu, temperature). */
  actionNames(): readonly string[];
  /** Queues a pass of these Pis now (every key when absent); refused for held keys. */
  reconcileNow(pis?: readonly number[]): OperationResult;
  /** Holds the rack (default), a stack or a Pi, with who and why; kept across restarts. */
  suspend(target?: HoldTarget, mark?: { readonly by: string; readonly reason: string }): OperationResult;
  /** Lifts the hold on exactly this target (default the rack). */
  resume(target?: HoldTarget): OperationResult;
  /** `pirack replace` moved this Pi to new hardware: records the confirmation (`message`) and reconnects afresh. Optional: test doubles may lack it. */
  recordReplacement?(id: number, message: string): OperationResult;
  rebootPi(id: number): Promise<OperationResult>;
  /** `hard`: cut without shutting the Pis down first. */
  power(
    target: { readonly scope: 'stack'; readonly id: number } | { readonly scope: 'rack' },
    op: PowerOp,
    options?: { readonly hard?: boolean },
  ): Promise<OperationResult>;
  /** Asks the loop to enlist again stacks that came up short (202: progress in the status). */
  enlist(): OperationResult;
  /**
   * The original's install flow (`GET /api/v1.0/installation`): enlists the stacks with missing
   * Pis under the same guards as `pirack enlist` and resolves when it has finished; a call while
   * one runs joins it. Stacks whose Pis are all enlisted keep their power.
   */
  install(): Promise<OperationResult>;
  /** rack.yaml `http:` of the revision being reconciled (opt-in CORS); undefined before one is valid. */
  httpSettings(): HttpSpec | undefined;
  /** Runs a declared or built-in action; for a stack or the rack it fans out and `data` summarises per Pi. */
  runAction(target: ActionTarget, action: string): Promise<OperationResult>;
  /**
   * Starts a run of an action or an OS upgrade on the selected Pis (rolling when disruptive): 202
   * with the run's first report, or 400/404/409 before anything ran. Optional: test doubles may lack it.
   */
  startRun?(request: RunRequest): OperationResult & { readonly run?: RunReport };
  /** A run by id (the last 50 are kept), or every kept run, newest first. */
  getRun?(id: string): RunReport | undefined;
  listRuns?(): readonly RunReport[];
  /** Confirms a `manual` relay step (the operator switched the stack by hand). */
  confirmManualPower(stack: number): OperationResult;
  /** Counters and gauges for /metrics. */
  metrics(): DaemonMetrics;
}

export interface DaemonMetrics {
  /** The most recent node pass durations (a bounded window). */
  readonly passDurationsMs: readonly number[];
  /** Node passes since start, a running total (the window above drops old entries). */
  readonly passCount: number;
  readonly actionsTotal: Readonly<Record<string, { ok: number; failed: number }>>;
  readonly sshConnections: number;
}
