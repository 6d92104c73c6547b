/**
 * A work queue keyed by node (client-go's workqueue in spirit): one worker per key at a time,
 * bounded global concurrency, duplicate requests collapsed, per-key capped exponential backoff
 * reset on success. A request for a key that is being worked on marks it dirty so it runs once
 * more afterwards: an event during a pass is never lost, and never runs twice at once.
 */

import { setMaxListeners } from 'node:events';

export type WorkOutcome = 'done' | 'retry';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkQueueOptions<K> {
  readonly concurrency: number;
  readonly worker: (key: K, signal: AbortSignal) => Promise<WorkOutcome>;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly timers?: Timers;
  /** Called when a worker throws (a programmer error); the key is retried with backoff. */
  readonly onWorkerError?: (key: K, err: unknown) => void;
}

/** Delay before the n-th retry (n ≥ 1): base·2^(n−1), capped. Exported for tests. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class WorkQueue<K> {
  private readonly ready: K[] = [];
  private readonly queued = new Set<K>();
  private readonly running = new Set<K>();
  private readonly dirty = new Set<K>();
  private readonly delayed = new Map<K, unknown>();
  private readonly failures = new Map<K, number>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private readonly timers: Timers;
  private stopped = false;

  constructor(private readonly options: WorkQueueOptions<K>) {
    this.timers = options.timers ?? realTimers;
    // Every running worker listens on this one signal: as many listeners as concurrency allows.
    setMaxListeners(Math.max(10, options.concurrency * 4), this.abort.signal);
  }

  /** Asks for `key` to be worked on now (or after `delayMs`); collapses with pending requests. */
  add(key: K, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      if (this.delayed.has(key) || this.queued.has(key)) return;
      this.delayed.set(key, this.timers.setTimeout(() => {
        this.delayed.delete(key);
        this.add(key);
      }, delayMs));
      return;
    }
    const timer = this.delayed.get(key);
    if (timer !== undefined) {
      this.timers.clearTimeout(timer);
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

  /** Failures in a row for `key` (0 after a success). */
  failureCount(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resolves when nothing is queued, running or waiting out a backoff. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** True when nothing is queued, running or waiting out a backoff. */
  isIdle(): boolean {
    return this.ready.length === 0 && this.running.size === 0 && this.delayed.size === 0;
  }

  get size(): { ready: number; running: number; delayed: number } {
    return { ready: this.ready.length, running: this.running.size, delayed: this.delayed.size };
  }

  /** Cancels running work through its AbortSignal and drops everything pending. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
    for (const timer of this.delayed.values()) this.timers.clearTimeout(timer);
    this.delayed.clear();
    this.ready.length = 0;
    this.queued.clear();
    this.notifyIdle();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.options.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      void this.work(key);
    }
  }

  private async work(key: K): Promise<void> {
    let outcome: WorkOutcome;
    try {
      outcome = await this.options.worker(key, this.abort.signal);
    } catch (err) {
      this.options.onWorkerError?.(key, err);
      outcome = 'retry';
    }
    this.running.delete(key);
    if (outcome === 'done') {
      this.failures.delete(key);
    } else {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      if (!this.dirty.has(key)) this.add(key, backoffDelay(failures, this.options.backoffBaseMs, this.options.backoffMaxMs));
    }
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (!this.isIdle() && !this.stopped) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
