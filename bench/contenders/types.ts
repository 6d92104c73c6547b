/** What every contender returns for one timed pass over the rack. */

export interface PassOutcome {
  readonly durationMs: number;
  /** One line per Pi that failed or did not converge; empty when the pass succeeded. */
  readonly failures: readonly string[];
  /** Changes made during the pass (actions applied, Ansible "changed"); 0 for a true no-op. */
  readonly changed: number;
}

export function passSucceeded(outcome: PassOutcome): boolean {
  return outcome.failures.length === 0;
}

/** The Pis a contender works on: id and address, nothing else. */
export interface BenchPi {
  readonly id: number;
  readonly ip: string;
}
