/**
 * Spacing of reconnect attempts to a Pi that failed: a dead or rebooting Pi is not hammered, and
 * repeated bootstrap-password attempts stay slow enough not to trip fail2ban-like defences.
 */

/** Base and cap of the per-node reconnect backoff. */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

/** Delay before the next attempt after `failures` consecutive failures (1 → base, doubling, capped). */
export function backoffDelay(failures: number, policy: BackoffPolicy): number {
  if (failures <= 0) return 0;
  // The exponent is clamped so 2 ** n never overflows to Infinity for a Pi dead for weeks.
  const factor = 2 ** Math.min(failures - 1, 30);
  return Math.min(policy.baseMs * factor, policy.maxMs);
}
