/**
 * No relay at all: a person switches the stack, as in the original's "follow the relay LEDs"
 * flow. `set()` asks through the notifier and waits, bounded and abortable, for `confirm()` (from
 * the API or the dashboard) or for a confirmation file written by `pirack power confirm`.
 */
import type { Logger } from 'pino';
import { pirackError } from '../errors.ts';
import type { PowerState } from '../model/desired.ts';
import type { RelayDriver } from './types.ts';

/** What the operator is asked to do. */
export interface ManualPowerRequest {
  readonly stack: number;
  readonly state: PowerState;
  /** For people: which stack, which way, how to confirm. */
  readonly message: string;
  /** Epoch ms the request was made and when it expires. */
  readonly at: number;
  readonly deadline: number;
}

export interface ManualRelayOptions {
  /** Shows the request (log line, event, dashboard banner, CLI prompt). */
  readonly notify: (request: ManualPowerRequest) => void;
  /** How long to wait for the confirmation; default 10 minutes. */
  readonly timeoutMs?: number;
  /**
   * Checks for a confirmation from another process (see manual-confirm.ts); polled every
   * `pollMs`. Resolves true once the stack was confirmed in `state`.
   */
  readonly checkExternal?: (stack: number, state: PowerState) => Promise<boolean>;
  readonly pollMs?: number;
  readonly now?: () => number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly log?: Logger;
}

export interface ManualRelay extends RelayDriver {
  /** The operator says stack `stack` is now switched (to the requested state when omitted). Returns whether a request was waiting. */
  confirm(stack: number, state?: PowerState): boolean;
  /** Requests waiting for a confirmation. */
  pending(): readonly ManualPowerRequest[];
}

export function manualRequestMessage(stack: number, state: PowerState): string {
  return `switch stack ${stack} ${state.toUpperCase()} by hand, then confirm with \`pirack power confirm ${stack}\` or on the dashboard`;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface Waiter {
  readonly request: ManualPowerRequest;
  readonly resolve: () => void;
}

export function createManualRelay(options: ManualRelayOptions): ManualRelay {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const pollMs = options.pollMs ?? 1000;
  const confirmed = new Map<number, PowerState>();
  const waiting = new Map<number, Waiter>();

  return {
    name: 'manual',
    async read(stack) {
      return confirmed.get(stack) ?? 'unknown';
    },
    async set(stack, state, signal) {
      const where = `stack ${stack}`;
      if (waiting.has(stack))
        throw pirackError('PIRACK_ERR_RELAY', `a manual power request for stack ${stack} is already waiting`, { where });
      const at = now();
      const request: ManualPowerRequest = { stack, state, message: manualRequestMessage(stack, state), at, deadline: at + timeoutMs };
      let done = false;
      const confirmedNow = new Promise<void>((resolve) => {
        waiting.set(stack, { request, resolve: () => ((done = true), resolve()) });
      });
      const local = new AbortController();
      const onAbort = () => local.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        options.notify(request);
        options.log?.warn({ stack, state }, request.message);
        while (!done) {
          if (signal?.aborted) throw pirackError('PIRACK_ERR_ABORTED', `manual power ${state} of stack ${stack} cancelled`, { where });
          const remaining = request.deadline - now();
          if (remaining <= 0) {
            throw pirackError(
              'PIRACK_ERR_RELAY',
              `nobody confirmed switching stack ${stack} ${state} within ${Math.round(timeoutMs / 1000)} s`,
              { where },
            );
          }
          if (options.checkExternal && (await options.checkExternal(stack, state))) break;
          // Wakes on the poll tick, the deadline, a local confirm() or an abort, whichever is first.
          await Promise.race([sleep(Math.min(pollMs, remaining), local.signal).catch(() => undefined), confirmedNow]);
        }
        confirmed.set(stack, state);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        local.abort();
        waiting.delete(stack);
      }
    },
    confirm(stack, state) {
      const waiter = waiting.get(stack);
      if (!waiter || (state !== undefined && state !== waiter.request.state)) return false;
      waiter.resolve();
      return true;
    },
    pending() {
      return [...waiting.values()].map((w) => w.request);
    },
    async close() {
      // Nothing held; a pending set() ends at its deadline or abort.
    },
  };
}
