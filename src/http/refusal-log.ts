/**
 * Sampled warnings for refused requests. A client hammering the API with bad tokens, foreign
 * origins or too many streams would otherwise write one warning line per request; instead the
 * first refusal per address and window is logged, and the next logged line for that address says
 * how many were left out in between (`suppressed`). Closing the server logs what is still counted.
 */
import type { Logger } from 'pino';

export interface RefusalLog {
  /** Logs (or counts) one refused request from `ip`. */
  refused(ip: string, fields: Readonly<Record<string, unknown>>, message: string): void;
  /** Logs one line per address with refusals not yet reported. */
  flush(): void;
}

export interface RefusalLogOptions {
  /** Default one minute. */
  readonly windowMs?: number;
  /** Addresses remembered at most; beyond that the oldest is reported and forgotten. Default 10,000. */
  readonly maxAddresses?: number;
  readonly now?: () => number;
}

export function createRefusalLog(log: Logger, options: RefusalLogOptions = {}): RefusalLog {
  const windowMs = options.windowMs ?? 60_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, { loggedAt: number; suppressed: number }>();

  const report = (ip: string, suppressed: number): void => {
    if (suppressed > 0) log.warn({ ip, suppressed }, 'refused requests not logged one by one');
  };

  return {
    refused(ip, fields, message) {
      const t = now();
      const entry = seen.get(ip);
      if (entry && t - entry.loggedAt < windowMs) {
        entry.suppressed += 1;
        return;
      }
      if (!entry) {
        while (seen.size >= maxAddresses) {
          const [oldest, e] = seen.entries().next().value ?? [];
          if (oldest === undefined || e === undefined) break;
          report(oldest, e.suppressed);
          seen.delete(oldest);
        }
      }
      const suppressed = entry?.suppressed ?? 0;
      seen.delete(ip);
      seen.set(ip, { loggedAt: t, suppressed: 0 });
      log.warn({ ...fields, ip, ...(suppressed > 0 ? { suppressed } : {}) }, message);
    },
    flush() {
      for (const [ip, e] of seen) report(ip, e.suppressed);
      seen.clear();
    },
  };
}
