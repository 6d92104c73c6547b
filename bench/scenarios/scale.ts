/** Scenario 5 as a table section: passes/s, time per pass against its target, and heap. */
import { performance } from 'node:perf_hooks';
import { nodeControllers } from '../../controllers/index.ts';
import { SCENARIO_TITLES, type ScenarioResult } from '../lib/results.ts';
import { summarize } from '../lib/stats.ts';
import { checkTarget } from '../lib/targets.ts';
import { SYNTHETIC_POLICIES, syntheticRack } from '../synthetic/model.ts';
import { measureScale } from '../synthetic/scale.ts';

export interface ScaleScenarioOptions {
  readonly nodes: number;
  readonly passes: number;
  readonly driftRatio: number;
  /** Queue concurrency; the rack default (16) unless told. */
  readonly concurrency: number;
}

export const SCALE_DEFAULTS: ScaleScenarioOptions = { nodes: 5000, passes: 10, driftRatio: 0.1, concurrency: 16 };

export async function scaleScenario(options: ScaleScenarioOptions = SCALE_DEFAULTS): Promise<ScenarioResult> {
  const started = performance.now();
  const now = Date.now();
  const m = await measureScale({
    build: () => syntheticRack({ nodes: options.nodes, driftRatio: options.driftRatio, now }),
    passes: options.passes,
    warmup: 2,
    controllers: nodeControllers,
    policies: SYNTHETIC_POLICIES,
    concurrency: options.concurrency,
    clock: () => performance.now(),
    cpuClock: () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    },
    now,
    heapUsed: () => process.memoryUsage().heapUsed,
  });
  const passMs = m.passes.map((p) => p.durationMs);
  const pass = summarize(passMs, 'ms');
  const first = m.passes[0]!;
  return {
    id: 'scale',
    title: SCENARIO_TITLES.scale,
    status: 'ok',
    pis: options.nodes,
    rows: [
      { label: `plan pass over ${options.nodes} Pis`, summary: pass, target: checkTarget('scalePass', pass.median) },
      {
        label: 'CPU time per pass',
        summary: summarize(
          m.passes.map((p) => p.cpuMs ?? Number.NaN),
          'ms',
        ),
      },
      {
        label: 'passes per second',
        summary: summarize(
          passMs.map((ms) => 1000 / ms),
          'passes/s',
        ),
      },
      { label: 'heap used after passes', summary: summarize([m.heapPeakMB], 'MB') },
      { label: 'heap held by the model', summary: summarize([m.heapAfterModelMB - m.heapBeforeModelMB], 'MB') },
    ],
    notes: [
      `${options.nodes} Pis in memory, ${Math.round(options.driftRatio * 100)} % drifted (6 kinds of drift in turn); every pass plans all of them with the real controllers through a WorkQueue (concurrency ${options.concurrency}) whose worker plans synchronously.`,
      `${options.passes} timed passes after 2 warm-up passes; each pass planned ${first.actions} actions on ${first.nodesWithActions} Pis and ${first.rackKeys} stack and rack keys (power and enlistment).`,
      'The target is judged on wall time; CPU time per pass is the same work without the time spent waiting for a core, for a machine that is busy with something else.',
      'Heap is V8 heapUsed of the bench process (no forced GC), so it includes the harness itself.',
    ],
    durationMs: performance.now() - started,
  };
}
