/**
 * Failed credentials per client address: wrong bearer tokens and wrong login tokens share one
 * count per address and window. Only failures are counted and only failures are refused: a request
 * presenting the right token is never held back, so a guesser on the same address (or behind the
 * same proxy) cannot lock the operator out. What the limit buys is bounded work and log volume per
 * guessing address; guessing itself is out of reach for a 256-bit token (SECURITY.md).
 */

export interface FailureLimitOptions {
  /** Failures allowed per address and window; the next ones are answered 429. Default 10. */
  readonly max: number;
  /** Default one minute. */
  readonly windowMs: number;
  /** Addresses remembered at most; the oldest is forgotten first. Default 10,000. */
  readonly maxAddresses?: number;
  readonly now?: () => number;
}

export const DEFAULT_FAILURE_LIMIT = { max: 10, windowMs: 60_000 } as const;

export interface FailureLimiter {
  /** Whether this address has used up its failures for the current window. */
  limited(address: string): boolean;
  /** Counts one failure for this address. */
  fail(address: string): void;
}

export function createFailureLimiter(options: FailureLimitOptions): FailureLimiter {
  const now = options.now ?? Date.now;
  const maxAddresses = options.maxAddresses ?? 10_000;
  // Map keeps insertion order: the first key is the address seen longest ago.
  const windows = new Map<string, { start: number; count: number }>();

  const current = (address: string): { start: number; count: number } | undefined => {
    const w = windows.get(address);
    if (w && now() - w.start >= options.windowMs) {
      windows.delete(address);
      return undefined;
    }
    return w;
  };

  return {
    limited(address) {
      return (current(address)?.count ?? 0) >= options.max;
    },
    fail(address) {
      const w = current(address);
      if (w) {
        w.count += 1;
        return;
      }
      while (windows.size >= maxAddresses) {
        const oldest = windows.keys().next().value;
        if (oldest === undefined) break;
        windows.delete(oldest);
      }
      windows.set(address, { start: now(), count: 1 });
    },
  };
}
