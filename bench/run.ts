/**
 * The harness: one run of the chosen scenarios, in an order that needs the fewest lab boots
 * (synthetic first, converge last since it reboots the lab for every contender), with everything
 * it starts cleaned up in `finally`: the lab if it booted it, its temp dir, its SSH masters.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import { loadRack } from '../src/config/load.ts';
import type { RackSpec } from '../src/model/desired.ts';
import { resolveBuiltin } from '../src/slave/bundle.ts';
import { benchRack } from './contenders/pirack.ts';
import { realLab, type LabPort } from './lib/lab-port.ts';
import { LabSession, type LabNeed } from './lib/lab-session.ts';
import { othersUsingLab } from './lib/lab-users.ts';
import { machineInfo } from './lib/machine.ts';
import { runProcess, type RunProcess } from './lib/process.ts';
import { SCENARIO_IDS, failed, skipped, type BenchResults, type ScenarioId, type ScenarioResult } from './lib/results.ts';
import { convergeScenario } from './scenarios/converge.ts';
import { driftScenario } from './scenarios/drift.ts';
import type { ScenarioEnv } from './scenarios/env.ts';
import { noopScenario } from './scenarios/noop.ts';
import { restScenario } from './scenarios/rest.ts';
import { SCALE_DEFAULTS, scaleScenario } from './scenarios/scale.ts';
import { startupScenario } from './scenarios/startup.ts';

export interface BenchOptions {
  readonly pis: number;
  /** Timed runs of the no-op (and Ansible drift repair runs, capped at 3). */
  readonly runs: number;
  readonly convergeRuns: number;
  readonly driftTrials: number;
  readonly driftResyncMs: number;
  readonly restSeconds: number;
  readonly scaleNodes: number;
  readonly only: readonly ScenarioId[];
  /** Allow tearing down a lab that was up before the bench (for converge). */
  readonly restartLab: boolean;
  /** Where pino lines of the engine go (a file); warnings and errors only. */
  readonly logFile: string;
  readonly signal: AbortSignal;
  readonly progress: (line: string) => void;
  readonly lab?: LabPort;
  readonly run?: RunProcess;
  /** Bound on waiting for someone else's lab or tests. */
  readonly maxLabWaitMs?: number;
  /**
   * Who else is using the lab (default: a scan of /proc). A caller holding the lab lock
   * (src/lab/owner-lock.ts), as an e2e file does, passes one that answers none: everyone else
   * waiting for that lock shows up in the scan but is not using the lab.
   */
  readonly othersUsingLab?: () => Promise<readonly string[]>;
}

/** Order of execution: no lab first, then the converged-rack scenarios, converge last. */
export const EXECUTION_ORDER: readonly ScenarioId[] = ['scale', 'startup', 'noop', 'drift', 'rest', 'converge'];

/** Scenarios that need no virtual rack. */
const NO_LAB: ReadonlySet<ScenarioId> = new Set(['scale', 'startup']);

/** Stacks of at most 12 Pis (the original rack's shape: 4 × 12 = 48). */
export function labShape(pis: number): LabNeed {
  if (!Number.isInteger(pis) || pis < 1) throw new RangeError(`--pis must be a positive integer, got ${pis}`);
  const perStack = Math.min(12, pis);
  return { stacks: Math.ceil(pis / perStack), perStack };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function ticksPerSecond(run: RunProcess): Promise<number> {
  const r = await run('getconf', ['CLK_TCK'], { timeoutMs: 5000 }).catch(() => undefined);
  const n = Number(r?.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

function benchLogger(file: string): Logger {
  return pino({ level: 'warn', base: { app: 'pirack-bench' } }, pino.destination({ dest: file, sync: true, mkdir: true }));
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const lab = options.lab ?? realLab;
  const run = options.run ?? runProcess;
  const wanted = new Set(options.only.length > 0 ? options.only : SCENARIO_IDS);
  const need = labShape(options.pis);
  const results = new Map<ScenarioId, ScenarioResult>();
  const say = options.progress;
  const log = benchLogger(options.logFile);
  // /tmp, not os.tmpdir() with a long $TMPDIR: control socket paths must stay short.
  const tmp = await mkdtemp(join(process.env.PIRACK_BENCH_TMP ?? (tmpdir().length < 20 ? tmpdir() : '/tmp'), 'pb-'));
  const session = new LabSession({
    port: lab,
    progress: say,
    othersUsingLab: options.othersUsingLab ?? (() => othersUsingLab()),
    sleep,
    maxWaitMs: options.maxLabWaitMs ?? 20 * 60_000,
    pollMs: 30_000,
  });
  const guard = async (id: ScenarioId, pis: number, body: () => Promise<ScenarioResult>): Promise<void> => {
    if (!wanted.has(id)) return;
    const t0 = performance.now();
    say(`== ${id}`);
    try {
      results.set(id, await body());
    } catch (err) {
      results.set(id, failed(id, (err as Error).message, pis, performance.now() - t0));
    }
    let r = results.get(id)!;
    if (r.status === 'failed' && !NO_LAB.has(id) && (await session.disturbed().catch(() => false))) {
      r = {
        ...r,
        reason: `${r.reason ?? ''} — the lab was taken down or re-created by another process meanwhile (someone else's tests?); rerun when the lab is free`,
      };
      results.set(id, r);
    }
    say(`== ${id}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`);
  };
  let labInfo: BenchResults['lab'];
  try {
    await guard('scale', options.scaleNodes, () => scaleScenario({ ...SCALE_DEFAULTS, nodes: options.scaleNodes }));
    await guard('startup', 3, () =>
      startupScenario({
        runs: options.runs,
        restSeconds: Math.min(options.restSeconds, 30),
        tmp,
        run,
        progress: say,
        sleep,
        signal: options.signal,
      }),
    );
    const needsLab = EXECUTION_ORDER.some((id) => !NO_LAB.has(id) && wanted.has(id));
    if (needsLab && !options.signal.aborted) {
      let env: ScenarioEnv | undefined;
      try {
        await session.acquire(need);
        if (session.reused && options.restartLab) {
          // Told to take it over: from now on the bench owns it and restarts it for converge.
          session.reused = false;
          session.owned = true;
        }
        labInfo = { reused: session.reused, stacks: need.stacks, perStack: need.perStack };
        const makeEnv = async (): Promise<ScenarioEnv> => {
          const loaded: RackSpec = await loadRack(session.rackYaml, { resolveBuiltin });
          const nodes = loaded.nodes.slice(0, options.pis);
          if (nodes.length < options.pis) throw new Error(`the lab's rack has ${nodes.length} Pis, fewer than --pis ${options.pis}`);
          return {
            rack: benchRack(loaded, { concurrency: options.pis }),
            nodes,
            lab,
            run,
            tmp,
            log,
            progress: say,
            signal: options.signal,
          };
        };
        env = await makeEnv();
      } catch (err) {
        for (const id of EXECUTION_ORDER)
          if (!NO_LAB.has(id) && wanted.has(id)) results.set(id, failed(id, `no lab: ${(err as Error).message}`, options.pis, 0));
      }
      if (env) {
        const e = env;
        await guard('noop', options.pis, () => noopScenario(e, { runs: options.runs }));
        await guard('drift', options.pis, () =>
          driftScenario(e, {
            trials: options.driftTrials,
            resyncIntervalMs: options.driftResyncMs,
            ansibleRuns: Math.min(3, options.runs),
            live: { trials: Math.max(5, Math.ceil(options.driftTrials / 2)), deadTrials: 5 },
            sleep,
            clock: () => performance.now(),
          }),
        );
        const tps = await ticksPerSecond(run);
        await guard('rest', options.pis, () =>
          restScenario(e, {
            rackYaml: session.rackYaml,
            sampleSeconds: options.restSeconds,
            convergeTimeoutMs: 300_000,
            ticksPerSecond: tps,
            sleep,
            clock: () => performance.now(),
          }),
        );
        await guard('converge', options.pis, () => convergeScenario(e, { runs: options.convergeRuns, session, need }));
      }
    }
  } finally {
    await session.release().catch((err: unknown) => say(`lab down failed: ${(err as Error).message}; run \`pirack lab down\``));
    await rm(tmp, { recursive: true, force: true });
    log.flush?.();
  }
  const scenarios = SCENARIO_IDS.filter((id) => wanted.has(id)).map(
    (id) => results.get(id) ?? skipped(id, options.signal.aborted ? 'cancelled' : 'not run'),
  );
  return {
    machine: machineInfo(),
    startedAt,
    finishedAt: new Date().toISOString(),
    options: { pis: options.pis, runs: options.runs, only: [...wanted] },
    lab: labInfo,
    scenarios,
  };
}
