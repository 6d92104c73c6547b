/**
 * Counts the sessions open on one SSH connection. OpenSSH refuses channels beyond MaxSessions
 * (10 by default); queueing here keeps us below it instead of turning load into channel errors.
 */
import { pirackError } from '../errors.ts';

interface Waiter {
  readonly grant: () => void;
  readonly fail: (err: unknown) => void;
}

/** FIFO counting semaphore whose waits can be cancelled. */
export class Semaphore {
  #free: number;
  readonly #queue: Waiter[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
    this.#free = size;
  }

  /** Slots in use right now. */
  get inUse(): number {
    return this.size - this.#free;
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Resolves with a release function once a slot is free. Rejects with ABORTED if `signal` aborts
   * first; the caller then holds nothing. Calling release more than once is harmless.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(abortedError(signal));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#releaser());
        },
        fail: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Rejects every waiter (the connection is gone); slots already held stay held until released. */
  failWaiters(err: unknown): void {
    for (const waiter of this.#queue.splice(0)) waiter.fail(err);
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
      if (next) next.grant();
      else this.#free += 1;
    };
  }
}

function abortedError(signal: AbortSignal | undefined): Error {
  return pirackError('PIRACK_ERR_ABORTED', 'cancelled while waiting for an SSH session slot', { cause: signal?.reason });
}
