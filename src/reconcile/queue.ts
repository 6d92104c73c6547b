/**
 * A keyed work queue (client-go's workqueue in spirit), the one loop every key of the rack runs
 * on: Pis, stacks and the rack itself. One worker per key at a time, bounded global concurrency,
 * duplicate requests collapsed, per-key capped exponential backoff with jitter reset on success.
 * A request for a key that is being worked on marks it dirty so it runs once more afterwards: an
 * event during a pass is never lost, and never runs twice at once.
 *
 * A worker's outcome follows controller-runtime's reconcile.Result: `done`; `retry` (a transient
 * failure: backed off); or `{ requeueAfterMs }` (still converging, not a failure: no backoff, the
 * failure count resets). A terminal error is `done`: it is reported, not retried.
 */
import { setMaxListeners } from 'node:events';
import { pirackError } from '../errors.ts';
import type { Clock } from '../util/clock.ts';
import { backoffDelay } from '../util/backoff.ts';

export type WorkOutcome = 'done' | 'retry' | { readonly requeueAfterMs: number };

export type Timers = Pick<Clock, 'setTimeout' | 'clearTimeout'>;

export interface WorkQueueOptions<K> {
  readonly concurrency: number;
  readonly worker: (key: K, signal: AbortSignal) => Promise<WorkOutcome>;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Injected timers (the loop's clock). */
  readonly timers: Timers;
  /** Jitter source for the backoff, [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Longest one pass of `key` may take; its signal aborts then. None when absent. */
  readonly timeoutMs?: (key: K) => number | undefined;
  /** Called when a worker throws (a programmer error); the key is retried with backoff. */
  readonly onWorkerError?: (key: K, err: unknown) => void;
  /** Called after every pass of a key, with its outcome and how long it took (metrics). */
  readonly onPassed?: (key: K, outcome: WorkOutcome) => void;
}

export class WorkQueue<K> {
  /** Keys waiting for a worker, oldest first from `head` (an index, not shift(): 5,000 keys a pass). */
  private ready: K[] = [];
  private head = 0;
  private readonly queued = new Set<K>();
  private readonly running = new Set<K>();
  private readonly dirty = new Set<K>();
  private readonly delayed = new Map<K, unknown>();
  private readonly failures = new Map<K, number>();
  /** Callers waiting for the next pass of a key that starts after they asked. */
  private readonly waiting = new Map<K, ((passed: boolean) => void)[]>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private stopped = false;
  private paused = false;

  constructor(private readonly options: WorkQueueOptions<K>) {
    // Every running worker listens on this one signal: as many listeners as concurrency allows.
    setMaxListeners(Math.max(10, options.concurrency * 4), this.abort.signal);
  }

  /** Asks for `key` to be worked on now (or after `delayMs`); collapses with pending requests. */
  add(key: K, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      if (this.delayed.has(key) || this.queued.has(key)) return;
      this.delayed.set(
        key,
        this.options.timers.setTimeout(() => {
          this.delayed.delete(key);
          this.add(key);
        }, delayMs),
      );
      return;
    }
    const timer = this.delayed.get(key);
    if (timer !== undefined) {
      this.options.timers.clearTimeout(timer);
      this.delayed.delete(key);
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  /**
   * Queues `key` now and resolves after its next pass that starts after this call: true when it
   * ran, false when the queue stopped first. Waits while the queue is paused.
   */
  passOf(key: K): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    const promise = new Promise<boolean>((resolve) => {
      const list = this.waiting.get(key) ?? [];
      list.push(resolve);
      this.waiting.set(key, list);
    });
    this.add(key);
    return promise;
  }

  /** Failures in a row for `key` (0 after a success or a requeue). */
  failureCount(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Holds every key: nothing new starts (running passes finish); requests collect until resume. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Resolves when nothing is queued, running or waiting out a delay (or the queue stopped). */
  whenIdle(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get size(): { ready: number; running: number; delayed: number } {
    return { ready: this.ready.length - this.head, running: this.running.size, delayed: this.delayed.size };
  }

  /** Cancels running work through its AbortSignal and drops everything pending. */
  stop(): void {
    this.stopped = true;
    this.abort.abort(pirackError('PIRACK_ERR_ABORTED', 'the reconciler is stopping'));
    for (const timer of this.delayed.values()) this.options.timers.clearTimeout(timer);
    this.delayed.clear();
    this.ready = [];
    this.head = 0;
    this.queued.clear();
    for (const list of this.waiting.values()) for (const resolve of list) resolve(false);
    this.waiting.clear();
    this.notifyIdle();
  }

  private idle(): boolean {
    return this.ready.length === this.head && this.running.size === 0 && this.delayed.size === 0;
  }

  private pump(): void {
    while (!this.stopped && !this.paused && this.running.size < this.options.concurrency && this.head < this.ready.length) {
      const key = this.ready[this.head++]!;
      if (this.head === this.ready.length || this.head > 1024) {
        // Drop the taken front: at once when empty, in one slice when it grows long.
        this.ready = this.ready.slice(this.head);
        this.head = 0;
      }
      this.queued.delete(key);
      this.running.add(key);
      void this.work(key);
    }
  }

  private async work(key: K): Promise<void> {
    const waiters = this.waiting.get(key);
    if (waiters) this.waiting.delete(key);
    const limit = this.options.timeoutMs?.(key);
    // A pass of its own signal only when it has a timeout: the stop signal alone otherwise (cheap at 5,000 keys).
    const pass = limit === undefined ? undefined : new AbortController();
    const onStop = pass ? () => pass.abort(this.abort.signal.reason) : undefined;
    let timer: unknown;
    if (pass && onStop) {
      this.abort.signal.addEventListener('abort', onStop, { once: true });
      timer = this.options.timers.setTimeout(
        () => pass.abort(pirackError('PIRACK_ERR_ABORTED', `pass of ${String(key)} took longer than ${limit} ms and was cancelled`)),
        limit!,
      );
    }
    let outcome: WorkOutcome;
    try {
      outcome = await this.options.worker(key, pass?.signal ?? this.abort.signal);
    } catch (err) {
      this.options.onWorkerError?.(key, err);
      outcome = 'retry';
    } finally {
      if (pass && onStop) {
        this.options.timers.clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', onStop);
      }
    }
    this.running.delete(key);
    this.options.onPassed?.(key, outcome);
    if (outcome === 'retry') {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const delay = backoffDelay(failures, { baseMs: this.options.backoffBaseMs, maxMs: this.options.backoffMaxMs }, this.options.random);
      if (!this.dirty.has(key)) this.add(key, Math.max(1, delay));
    } else {
      this.failures.delete(key);
      if (outcome !== 'done' && !this.dirty.has(key)) this.add(key, Math.max(1, outcome.requeueAfterMs));
    }
    if (waiters) for (const resolve of waiters) resolve(true);
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (!this.idle() && !this.stopped) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
