/**
 * Running an action on many Pis. A plain action (cpu, temperature, a declared query) runs on every
 * selected Pi at once, `ssh.concurrency` at a time. A disruptive one (reboot, an upgrade, a
 * declared action with `disruptive: true`) rolls: batches of at most `maxUnavailable` Pis (a count
 * or a percentage of the selection, and `batch` when smaller), each Pi's step waiting until it is
 * Ready again, and the next batch starting only when the whole batch is; the first failed batch
 * stops the roll (the Pis after it are skipped, untouched) unless `continueOnFailure`.
 *
 * `prepareRun` checks everything (the action, the selection, the controls) before anything runs,
 * so bad input has no partial effect. `executeRunSteps` reports progress as a fresh `RunReport` after
 * every change, and never throws for a Pi's failure (only when cancelled).
 */
import { pirackError, isPiRackError } from '../errors.ts';
import type { NodeSpec, RackSpec } from '../model/desired.ts';
import type { Clock } from '../util/clock.ts';
import { actionCommand, actionNames, isDisruptive, REBOOT } from './actions.ts';
import { supervisedReboot, waitReady, type RebootDeps, type StepOutcome, type WaitLimits } from './reboot.ts';
import { describeSelector, selectNodes, type Selector } from './targets.ts';
import { upgradeCommand, parseUpgradeOutput } from './upgrade.ts';

/** How a disruptive action rolls (the CLI's flags, the API's body, the dashboard's form). */
export interface RollingControls {
  /** Pis at a time; at most maxUnavailable. */
  readonly batch?: number;
  /** Pis that may be down at once: a count (at least 1) or a percentage of the selection ("25%"). Default 1. */
  readonly maxUnavailable?: number | string;
  /** Go on after a failed batch. Default false: the first failed batch stops the roll. */
  readonly continueOnFailure?: boolean;
  readonly readyTimeoutMs?: number;
  /** Reboot only: how long the Pi may take to come back with a new boot id. */
  readonly backTimeoutMs?: number;
}

/** An OS upgrade instead of an action (`pirack upgrade`). */
export interface UpgradeRequest {
  /** apt-get full-upgrade instead of upgrade. */
  readonly full?: boolean;
  /** A supervised reboot of each Pi that reports /var/run/reboot-required afterwards. */
  readonly reboot?: boolean;
}

export interface RunRequest {
  /** An action name; ignored when `upgrade` is given. */
  readonly action?: string;
  readonly upgrade?: UpgradeRequest;
  readonly selector: Selector;
  readonly controls?: RollingControls;
}

export interface PreparedRun {
  readonly action: string;
  readonly target: string;
  readonly disruptive: boolean;
  readonly command: string;
  readonly upgrade?: UpgradeRequest;
  readonly nodes: readonly NodeSpec[];
  readonly batches: readonly (readonly NodeSpec[])[];
  readonly batchSize: number;
  readonly controls: RollingControls;
}

export type PiRunState = 'pending' | 'running' | 'ok' | 'failed' | 'skipped';

export interface PiRun {
  readonly node: number;
  readonly stack: number;
  readonly state: PiRunState;
  /** What the Pi is doing now (rebooting, down, back, upgrading, waiting for Ready). */
  readonly phase?: string;
  /** The result line: the action's first output line, or why it failed. */
  readonly data?: string;
  readonly bootIdBefore?: string;
  readonly bootIdAfter?: string;
  readonly rebootRequired?: boolean;
}

export interface RunReport {
  readonly id: string;
  readonly action: string;
  readonly target: string;
  readonly disruptive: boolean;
  readonly batchSize: number;
  readonly batches: readonly (readonly number[])[];
  /** Index of the batch running now (or last run). */
  readonly currentBatch: number;
  readonly state: 'running' | 'done' | 'failed' | 'stopped';
  readonly message: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly pis: readonly PiRun[];
}

const PERCENT = /^(\d{1,3})%$/;

/** Pis that may be down at once, from a count or a percentage of `total` (rounded down, at least 1). */
export function resolveMaxUnavailable(value: number | string | undefined, total: number): number {
  if (value === undefined) return 1;
  if (typeof value === 'string' && PERCENT.test(value.trim())) {
    const pct = Number(PERCENT.exec(value.trim())![1]);
    if (pct < 1 || pct > 100)
      throw pirackError('PIRACK_ERR_USAGE', `maxUnavailable ${value}: a percentage must be from 1% to 100%`, { where: 'maxUnavailable' });
    return Math.max(1, Math.floor((total * pct) / 100));
  }
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isInteger(n))
    throw pirackError('PIRACK_ERR_USAGE', `maxUnavailable "${String(value)}" is neither a count nor a percentage (e.g. 1, 3 or 25%)`, {
      where: 'maxUnavailable',
    });
  if (n < 1)
    throw pirackError('PIRACK_ERR_USAGE', `maxUnavailable ${n}: at least 1 Pi must be allowed down, or nothing could ever roll`, {
      where: 'maxUnavailable',
    });
  return n;
}

export function batchSizeOf(controls: RollingControls, total: number): number {
  const max = resolveMaxUnavailable(controls.maxUnavailable, total);
  if (controls.batch !== undefined && (!Number.isInteger(controls.batch) || controls.batch < 1))
    throw pirackError('PIRACK_ERR_USAGE', `batch ${String(controls.batch)}: a batch is a whole number of Pis, at least 1`, {
      where: 'batch',
    });
  for (const [name, ms] of [
    ['readyTimeout', controls.readyTimeoutMs],
    ['rebootTimeout', controls.backTimeoutMs],
  ] as const) {
    if (ms !== undefined && (!Number.isFinite(ms) || ms < 1000 || ms > 86_400_000))
      throw pirackError('PIRACK_ERR_USAGE', `${name} ${String(ms)} ms: give a duration from 1 s to 24 h`, { where: name });
  }
  return Math.min(max, controls.batch ?? max);
}

export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Checks the request against rack.yaml; throws PIRACK_ERR_USAGE before anything runs. */
export function prepareRun(rack: RackSpec, request: RunRequest): PreparedRun {
  const nodes = selectNodes(rack, request.selector);
  const controls = request.controls ?? {};
  let action: string;
  let command: string;
  let disruptive: boolean;
  if (request.upgrade) {
    action = request.upgrade.full ? 'full-upgrade' : 'upgrade';
    command = upgradeCommand(request.upgrade.full === true, rack.policies.dpkgLockTimeoutSeconds, rack.master?.aptProxy);
    disruptive = true;
  } else {
    action = request.action ?? '';
    const found = actionCommand(rack, action);
    if (found === undefined)
      throw pirackError('PIRACK_ERR_USAGE', `no action "${action}" in ${rack.sourcePath}; known: ${actionNames(rack).join(', ')}`, {
        where: rack.sourcePath,
      });
    command = found;
    disruptive = isDisruptive(rack, action);
  }
  const batchSize = disruptive ? batchSizeOf(controls, nodes.length) : nodes.length;
  return {
    action,
    target: describeSelector(request.selector),
    disruptive,
    command,
    ...(request.upgrade ? { upgrade: request.upgrade } : {}),
    nodes,
    batches: batchesOf(nodes, batchSize),
    batchSize,
    controls,
  };
}

export interface RunDeps extends RebootDeps {
  /** Plain actions at most this many Pis at a time (rack.yaml ssh.concurrency). */
  readonly concurrency: number;
  /** Plain actions' timeout. Default 30 s. */
  readonly actionTimeoutMs?: number;
}

function reasonOf(err: unknown): string {
  return isPiRackError(err) ? err.message : err instanceof Error ? err.message : String(err);
}

/** Runs a prepared run; `onProgress` gets the whole report after each change. */
export async function executeRunSteps(
  id: string,
  run: PreparedRun,
  deps: RunDeps,
  signal: AbortSignal,
  onProgress: (report: RunReport) => void = () => {},
): Promise<RunReport> {
  const pis = new Map<number, PiRun>(run.nodes.map((n) => [n.id, { node: n.id, stack: n.stack, state: 'pending' }]));
  let report: RunReport = {
    id,
    action: run.action,
    target: run.target,
    disruptive: run.disruptive,
    batchSize: run.batchSize,
    batches: run.batches.map((b) => b.map((n) => n.id)),
    currentBatch: 0,
    state: 'running',
    message: `${run.action} on ${run.target}: ${run.nodes.length} Pi(s)${run.disruptive ? `, ${run.batches.length} batch(es) of at most ${run.batchSize}` : ''}`,
    startedAt: new Date(deps.clock.now()).toISOString(),
    pis: [...pis.values()],
  };
  const publish = (patch: Partial<RunReport> = {}) => {
    report = { ...report, ...patch, pis: [...pis.values()] };
    onProgress(report);
  };
  const set = (node: number, patch: Partial<PiRun>) => {
    pis.set(node, { ...pis.get(node)!, ...patch });
    publish();
  };
  publish();
  const limits: WaitLimits = {
    ...(run.controls.readyTimeoutMs !== undefined ? { readyTimeoutMs: run.controls.readyTimeoutMs } : {}),
    ...(run.controls.backTimeoutMs !== undefined ? { backTimeoutMs: run.controls.backTimeoutMs } : {}),
  };

  const step = async (node: NodeSpec): Promise<void> => {
    set(node.id, { state: 'running', phase: run.disruptive ? 'starting' : 'running' });
    let outcome: StepOutcome & { rebootRequired?: boolean };
    try {
      outcome = await stepOn(node, run, deps, limits, signal, (phase) => set(node.id, { phase }));
    } catch (err) {
      if (signal.aborted) throw err;
      outcome = { ok: false, data: reasonOf(err) };
    }
    set(node.id, {
      state: outcome.ok ? 'ok' : 'failed',
      phase: outcome.ok ? 'done' : 'failed',
      data: outcome.data,
      ...(outcome.bootIdBefore ? { bootIdBefore: outcome.bootIdBefore } : {}),
      ...(outcome.bootIdAfter ? { bootIdAfter: outcome.bootIdAfter } : {}),
      ...(outcome.rebootRequired !== undefined ? { rebootRequired: outcome.rebootRequired } : {}),
    });
  };

  let stoppedAt: number | undefined;
  for (const [index, batch] of run.batches.entries()) {
    publish({ currentBatch: index });
    if (run.disruptive) await Promise.all(batch.map(step));
    else await inPool(batch, Math.max(1, deps.concurrency), step);
    const failed = batch.filter((n) => pis.get(n.id)!.state === 'failed');
    if (failed.length > 0 && run.disruptive && !run.controls.continueOnFailure && index < run.batches.length - 1) {
      stoppedAt = index;
      break;
    }
  }
  const skipped = [...pis.values()].filter((p) => p.state === 'pending');
  for (const p of skipped) pis.set(p.node, { ...p, state: 'skipped', data: 'not started: the roll stopped at a failed batch' });
  const failed = [...pis.values()].filter((p) => p.state === 'failed');
  const okCount = [...pis.values()].filter((p) => p.state === 'ok').length;
  const message =
    stoppedAt !== undefined
      ? `${run.action} on ${run.target} stopped after batch ${stoppedAt + 1} of ${run.batches.length}: pi ${failed.map((p) => p.node).join(', ')} failed; ${skipped.length} Pi(s) not started (--continue goes on past a failed batch)`
      : failed.length > 0
        ? `${run.action} on ${run.target}: ${okCount}/${pis.size} Pis ok, pi ${failed.map((p) => p.node).join(', ')} failed`
        : `${run.action} on ${run.target}: ${okCount}/${pis.size} Pis ok`;
  publish({
    state: stoppedAt !== undefined ? 'stopped' : failed.length > 0 ? 'failed' : 'done',
    message,
    finishedAt: new Date(deps.clock.now()).toISOString(),
  });
  return report;
}

async function inPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function stepOn(
  node: NodeSpec,
  run: PreparedRun,
  deps: RunDeps,
  limits: WaitLimits,
  signal: AbortSignal,
  onPhase: (phase: string) => void,
): Promise<StepOutcome & { rebootRequired?: boolean }> {
  const pollMs = limits.pollMs ?? 1000;
  const readyTimeout = limits.readyTimeoutMs ?? 120_000;
  if (run.action === 'reboot') return supervisedReboot(node, run.command, deps, limits, signal, onPhase);
  const target = { node: node.id, host: node.ip, port: deps.port };
  const started = deps.clock.now();
  onPhase(run.upgrade ? 'upgrading' : 'running');
  const result = await deps.ssh.exec(target, run.command, {
    timeoutMs: run.upgrade ? 30 * 60_000 : (deps.actionTimeoutMs ?? 30_000),
    signal,
  });
  if (run.upgrade) {
    const parsed = parseUpgradeOutput(result.stdout);
    if (result.exitCode !== 0)
      return {
        ok: false,
        data: `apt-get exited ${result.exitCode}: ${(result.stderr.trim() || result.stdout.trim()).split('\n').slice(-2).join(' | ')}`,
      };
    if (parsed.rebootRequired && run.upgrade.reboot) {
      const rebooted = await supervisedReboot(node, REBOOT, deps, limits, signal, onPhase);
      return { ...rebooted, data: `${parsed.summary}; ${rebooted.data}`, rebootRequired: !rebooted.ok };
    }
    onPhase('waiting for Ready');
    const ready = await waitReady(node, deps, readyTimeout, pollMs, signal);
    return {
      ok: ready.ok,
      data: ready.ok ? `${parsed.summary}${parsed.rebootRequired ? '; reboot required' : ''}` : ready.data,
      rebootRequired: parsed.rebootRequired,
    };
  }
  const firstLine = (result.stdout.trim().split('\n')[0] ?? '').trim();
  const data =
    run.action === 'ping' && result.exitCode === 0
      ? `${deps.clock.now() - started} ms`
      : firstLine || result.stderr.trim().split('\n')[0] || '';
  if (result.exitCode !== 0) return { ok: false, data: `exited ${result.exitCode}${data ? `: ${data}` : ''}` };
  if (!run.disruptive) return { ok: true, data };
  onPhase('waiting for Ready');
  const ready = await waitReady(node, deps, readyTimeout, pollMs, signal);
  return ready.ok ? { ok: true, data } : ready;
}
