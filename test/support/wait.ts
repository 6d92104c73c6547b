/** Bounded waiting for e2e tests: poll until a value appears, or fail saying what was awaited. */
import { createServer } from 'node:net';

export interface WaitOptions {
  /** Poll interval, ms. */
  readonly every?: number;
  /** Extra lines for the failure message (daemon log tail, conditions…). */
  readonly context?: () => string;
}

/** Polls `probe` until it returns something other than undefined; throws after `ms`. */
export async function waitUntil<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined> | T | undefined,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const context = options.context?.() ?? '';
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}${context ? `\n${context}` : ''}`,
      );
    }
    await new Promise((done) => setTimeout(done, options.every ?? 250));
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}
