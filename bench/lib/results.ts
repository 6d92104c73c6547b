/**
 * The shape of bench/results.json: machine, options, and per scenario the rows of the final
 * table. Everything the table and BENCHMARKS.md show is derived from this, nothing else.
 */
import type { Summary } from './stats.ts';
import type { TargetCheck } from './targets.ts';
import type { MachineInfo } from './machine.ts';

export type ScenarioId = 'noop' | 'converge' | 'drift' | 'rest' | 'scale' | 'startup';
export type ContenderId = 'pirack' | 'ansible' | 'cdist' | 'baseline';

export const SCENARIO_IDS: readonly ScenarioId[] = ['noop', 'converge', 'drift', 'rest', 'scale', 'startup'];

export const SCENARIO_TITLES: Readonly<Record<ScenarioId, string>> = {
  noop: '1. No-op verify of a converged rack',
  converge: '2. Converge from blank',
  drift: '3. Drift detect-to-repair',
  rest: '4. Daemon at rest',
  scale: '5. Scale without SSH (synthetic)',
  startup: '6. Start-up and memory: dist/ against tsx',
};

/** One line of the table: a measured figure, or a figure computed from measured ones. */
export interface Row {
  readonly label: string;
  /** Absent for a row that only carries a note (a contender that has no such figure). */
  readonly summary?: Summary;
  /** Shown instead of the summary's runs count, e.g. "computed: 30 s + run time". */
  readonly note?: string;
  readonly target?: TargetCheck;
}

export interface ScenarioResult {
  readonly id: ScenarioId;
  readonly title: string;
  /** skipped: not asked for or not possible here (reason says why); failed: it broke (reason). */
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly pis: number;
  readonly rows: readonly Row[];
  /** How it was measured, in a sentence each (concurrency, intervals, run counts). */
  readonly notes: readonly string[];
  readonly durationMs: number;
}

export interface BenchResults {
  readonly machine: MachineInfo;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: { readonly pis: number; readonly runs: number; readonly only: readonly ScenarioId[] };
  readonly lab: { readonly reused: boolean; readonly stacks: number; readonly perStack: number } | undefined;
  readonly scenarios: readonly ScenarioResult[];
}

export function skipped(id: ScenarioId, reason: string, pis = 0): ScenarioResult {
  return { id, title: SCENARIO_TITLES[id], status: 'skipped', reason, pis, rows: [], notes: [], durationMs: 0 };
}

export function failed(
  id: ScenarioId,
  reason: string,
  pis: number,
  durationMs: number,
  rows: readonly Row[] = [],
  notes: readonly string[] = [],
): ScenarioResult {
  return { id, title: SCENARIO_TITLES[id], status: 'failed', reason, pis, rows, notes, durationMs };
}
