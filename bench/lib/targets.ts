/**
 * The goals from issue 6, reported against and never asserted: a missed target is a finding to
 * publish, not a failed run.
 */
import type { ScenarioId } from './results.ts';

export type TargetId =
  | 'noopVsAnsible'
  | 'noopVsBaseline'
  | 'convergeVsBaseline'
  | 'driftP50'
  | 'streamDriftP50'
  | 'streamDriftP95'
  | 'deadPiP50'
  | 'backReadyP50'
  | 'restRss'
  | 'restCpu'
  | 'slaveCpu'
  | 'scalePass'
  | 'cliStart';

interface TargetDef {
  readonly scenario: ScenarioId;
  /** What is compared, read with the goal: "Ansible / PiRack" "≥ 20×". */
  readonly goal: string;
  readonly met: (value: number) => boolean;
}

export const TARGETS: Readonly<Record<TargetId, TargetDef>> = {
  noopVsAnsible: { scenario: 'noop', goal: 'Ansible/PiRack ≥ 20×', met: (v) => v >= 20 },
  noopVsBaseline: { scenario: 'noop', goal: 'PiRack/baseline ≤ 2×', met: (v) => v <= 2 },
  convergeVsBaseline: { scenario: 'converge', goal: 'PiRack/baseline ≤ 1.5×', met: (v) => v <= 1.5 },
  driftP50: { scenario: 'drift', goal: 'p50 < 3 s', met: (ms) => ms < 3000 },
  streamDriftP50: { scenario: 'drift', goal: 'p50 ≤ 1 s', met: (ms) => ms <= 1000 },
  streamDriftP95: { scenario: 'drift', goal: 'p95 ≤ 3 s', met: (ms) => ms <= 3000 },
  deadPiP50: { scenario: 'drift', goal: 'p50 ≤ 5 s', met: (ms) => ms <= 5000 },
  backReadyP50: { scenario: 'drift', goal: 'p50 ≤ 10 s', met: (ms) => ms <= 10_000 },
  restRss: { scenario: 'rest', goal: '< 120 MB', met: (mb) => mb < 120 },
  restCpu: { scenario: 'rest', goal: '< 2 % of a core', met: (pct) => pct < 2 },
  slaveCpu: { scenario: 'rest', goal: '≤ 1 % of a core', met: (pct) => pct <= 1 },
  scalePass: { scenario: 'scale', goal: '< 50 ms per pass', met: (ms) => ms < 50 },
  cliStart: { scenario: 'startup', goal: '≤ 0.4 s', met: (ms) => ms <= 400 },
};

/** A target with the measured value it was judged on (the median, or p50 for drift). */
export interface TargetCheck {
  readonly id: TargetId;
  readonly goal: string;
  readonly value: number;
  readonly met: boolean;
}

export function checkTarget(id: TargetId, value: number): TargetCheck {
  const def = TARGETS[id];
  return { id, goal: def.goal, value, met: Number.isFinite(value) && def.met(value) };
}
