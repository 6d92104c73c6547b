/**
 * The one table of `pirack` exit codes (README "Exit codes"). Commands set `process.exitCode`
 * from it; src/cli/main.ts maps every thrown error to ERROR. Scripts and commit hooks may rely on
 * these numbers: never reuse one for another meaning.
 */
export const EXIT = {
  /** Done; for `plan --exit-code`: the rack is in sync. */
  OK: 0,
  /** The command ran and its answer is "no": `plan --exit-code` would change something,
   *  `apply --once` did not converge, `validate` found problems, a power or enlist operation failed. */
  DIFFERS: 1,
  /** The command could not do its job: bad usage, a rack.yaml that does not load, no daemon
   *  where one is needed, an internal error. Nothing was changed by it. */
  ERROR: 2,
  /** Some Pis could not be looked at (unreachable, quarantined): the answer is incomplete. */
  UNREACHABLE: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
