/**
 * The one capped exponential backoff, used by the work queue (per key) and the SSH pool (per
 * reconnect). With jitter: after a stack powers on, 48 Pis that failed together must not retry in
 * lockstep.
 */

/** Base and cap of a backoff. */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * Delay before the next attempt after `failures` consecutive failures (1 → base, doubling,
 * capped), spread by "equal jitter": a uniform draw from [d/2, d], so the order of magnitude
 * holds and retries still spread. `random` returns [0, 1); pass `() => 1` for the upper bound.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (failures <= 0) return 0;
  // The exponent is clamped so 2 ** n never overflows to Infinity for a Pi dead for weeks.
  const ceiling = Math.min(policy.baseMs * 2 ** Math.min(failures - 1, 30), policy.maxMs);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
