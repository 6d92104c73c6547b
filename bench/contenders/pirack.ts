/**
 * The PiRack contender: the daemon's own engine (openRuntime → Reconciler.runOnce), its SSH pool
 * kept open between passes so connections are already established, as in the running daemon.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { openRuntime, type Runtime } from '../../src/daemon/runtime.ts';
import type { RackSpec } from '../../src/model/desired.ts';
import type { NodePassResult } from '../../src/reconcile/node-pass.ts';
import type { PassOutcome } from './types.ts';

export interface BenchRackOverrides {
  /** Pis worked on at once; the bench sets it to the Pi count so every contender runs all at once. */
  readonly concurrency?: number;
  readonly resyncIntervalMs?: number;
}

/** The rack with the bench's overrides; the loaded RackSpec is frozen, so this is a copy. */
export function benchRack(rack: RackSpec, overrides: BenchRackOverrides): RackSpec {
  return {
    ...rack,
    ssh: { ...rack.ssh, ...(overrides.concurrency !== undefined ? { concurrency: overrides.concurrency } : {}) },
    policies: { ...rack.policies, ...(overrides.resyncIntervalMs !== undefined ? { resyncIntervalMs: overrides.resyncIntervalMs } : {}) },
  };
}

/** A pass succeeded when every Pi answered and nothing remains to do. */
export function outcomeOf(results: readonly NodePassResult[], durationMs: number): PassOutcome {
  const failures: string[] = [];
  for (const r of results) {
    if (r.error) failures.push(`pi ${r.node}: ${r.error.code} ${r.error.message}`);
    else if (r.remaining.length > 0) failures.push(`pi ${r.node}: ${r.remaining.length} action(s) still pending`);
  }
  return { durationMs, failures, changed: results.reduce((n, r) => n + r.applied.length, 0) };
}

export interface PirackContender {
  readonly runtime: Runtime;
  /** One converging pass over `nodes` (all when absent), timed around runOnce. */
  pass(options?: { readonly nodes?: readonly number[]; readonly signal?: AbortSignal }): Promise<PassOutcome>;
  close(): Promise<void>;
}

export async function openPirack(
  rack: RackSpec,
  options: { readonly stateDir: string; readonly log: Logger; readonly mode?: 'apply' | 'observe' },
): Promise<PirackContender> {
  const runtime = await openRuntime(rack, {
    stateDir: options.stateDir,
    log: options.log,
    ...(options.mode ? { mode: options.mode } : {}),
  });
  return {
    runtime,
    async pass(passOptions = {}) {
      const started = performance.now();
      // The bench's own signal is not threaded through: the loop cancels through its queue on close.
      const results = await runtime.reconciler.runNodes(passOptions.nodes);
      return outcomeOf(results, performance.now() - started);
    },
    async close() {
      await runtime.close();
    },
  };
}

/**
 * Converges `nodes` before a timed scenario, as the daemon would: Pis that failed are passed
 * again (connect backoff lifted), up to `rounds` passes in all. A lab that just booted 48 Pis on
 * 2 cores misses a 10 s SSH handshake now and then; the timed trials start only once all converged.
 */
export async function warmUp(pirack: PirackContender, nodes: readonly number[], rounds = 3): Promise<PassOutcome> {
  let left = [...nodes];
  let outcome: PassOutcome = { durationMs: 0, failures: [], changed: 0 };
  for (let round = 1; round <= rounds && left.length > 0; round++) {
    for (const id of left) pirack.runtime.ssh.retryNow(id);
    outcome = await pirack.pass({ nodes: left });
    left = left.filter((id) => outcome.failures.some((f) => f.startsWith(`pi ${id}:`)));
  }
  return outcome;
}
