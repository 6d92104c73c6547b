/**
 * How long the server waits for a client. Node's defaults (and fastify's, which turn the request
 * timeout off) let a client keep a half-sent request open for minutes; a daemon on a rack's
 * management network should drop it in seconds. Every value here is in SECURITY.md.
 */
export interface HttpLimits {
  /** Time to receive the request headers. Default 5 s. */
  readonly headersTimeoutMs: number;
  /** Time to receive the whole request, body included. Default 10 s. An event stream's request is complete once its headers are in, so streams are not cut by it. */
  readonly requestTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed. Default 60 s (event streams send something every 5 s). */
  readonly idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. Default 5 s. */
  readonly keepAliveTimeoutMs: number;
  /** How often Node checks the header and request timeouts. Default 1 s (Node's own is 30 s). */
  readonly checkIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5000,
  checkIntervalMs: 1000,
};

/** Fills the defaults and keeps Node's rule that headers cannot take longer than the whole request. */
export function resolveLimits(partial: Partial<HttpLimits> = {}): HttpLimits {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...partial };
  return {
    ...limits,
    headersTimeoutMs: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    checkIntervalMs: Math.min(limits.checkIntervalMs, limits.headersTimeoutMs),
  };
}
