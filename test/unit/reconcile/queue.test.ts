import { describe, expect, it } from 'vitest';
import { WorkQueue, type Timers } from '../../../src/reconcile/queue.ts';
import { backoffDelay } from '../../../src/util/backoff.ts';
import { systemClock } from '../../../src/util/clock.ts';

/** Timers that only fire when the test says so. */
function manualTimers(): Timers & { fireAll(): void; pending(): number[] } {
  let next = 1;
  const timers = new Map<number, { fn: () => void; ms: number }>();
  return {
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    fireAll() {
      const due = [...timers.entries()];
      timers.clear();
      for (const [, t] of due) t.fn();
    },
    pending: () => [...timers.values()].map((t) => t.ms),
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('backoffDelay', () => {
  it('doubles from the base and caps', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, { baseMs: 1000, maxMs: 5000 }, () => 1))).toEqual([
      0, 1000, 2000, 4000, 5000, 5000,
    ]);
  });
});

describe('WorkQueue', () => {
  it('runs each key once even when added many times while queued', async () => {
    const seen: string[] = [];
    const busy = deferred();
    const queue = new WorkQueue<string>({
      concurrency: 1,
      backoffBaseMs: 10,
      backoffMaxMs: 10,
      timers: systemClock,
      worker: async (k) => {
        if (k === 'x') await busy.promise;
        seen.push(k);
        return 'done';
      },
    });
    queue.add('x');
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('a');
    busy.resolve();
    await queue.whenIdle();
    expect(seen).toEqual(['x', 'a', 'b']);
  });

  it('never runs one key twice at once, and reruns it once if asked during its run', async () => {
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const queue = new WorkQueue<string>({
      concurrency: 4,
      backoffBaseMs: 10,
      backoffMaxMs: 10,
      timers: systemClock,
      worker: async () => {
        runs++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (runs === 1) await gate.promise;
        running--;
        return 'done';
      },
    });
    queue.add('a');
    queue.add('a');
    queue.add('a');
    gate.resolve();
    await queue.whenIdle();
    expect(maxRunning).toBe(1);
    expect(runs).toBe(2);
  });

  it('bounds global concurrency, and one slow key does not hold up the others', async () => {
    const slow = deferred();
    const done: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const queue = new WorkQueue<number>({
      concurrency: 3,
      backoffBaseMs: 10,
      backoffMaxMs: 10,
      timers: systemClock,
      worker: async (k) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (k === 0) await slow.promise;
        else await new Promise((r) => setTimeout(r, 2));
        running--;
        done.push(k);
        return 'done';
      },
    });
    for (let k = 0; k < 10; k++) queue.add(k);
    await new Promise((r) => setTimeout(r, 100));
    expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(maxRunning).toBeLessThanOrEqual(3);
    slow.resolve();
    await queue.whenIdle();
    expect(done).toHaveLength(10);
  });

  it('retries with capped exponential backoff and resets it after a success', async () => {
    const timers = manualTimers();
    const outcomes: ('done' | 'retry')[] = ['retry', 'retry', 'retry', 'done', 'retry'];
    const queue = new WorkQueue<string>({
      concurrency: 1,
      backoffBaseMs: 100,
      backoffMaxMs: 300,
      timers,
      random: () => 1,
      worker: async () => outcomes.shift()!,
    });
    const settle = () => new Promise((r) => setTimeout(r, 1));
    queue.add('a');
    await settle();
    expect(timers.pending()).toEqual([100]);
    timers.fireAll();
    await settle();
    expect(timers.pending()).toEqual([200]);
    timers.fireAll();
    await settle();
    expect(timers.pending()).toEqual([300]);
    timers.fireAll();
    await settle();
    expect(timers.pending()).toEqual([]);
    expect(queue.failureCount('a')).toBe(0);
    queue.add('a');
    await settle();
    expect(timers.pending()).toEqual([100]);
    queue.stop();
  });

  it('an explicit request overrides a pending backoff', async () => {
    const timers = manualTimers();
    let runs = 0;
    const queue = new WorkQueue<string>({
      concurrency: 1,
      backoffBaseMs: 1000,
      backoffMaxMs: 1000,
      timers,
      random: () => 1,
      worker: async () => (++runs === 1 ? 'retry' : 'done'),
    });
    queue.add('a');
    await new Promise((r) => setTimeout(r, 1));
    expect(timers.pending()).toEqual([1000]);
    queue.add('a');
    await queue.whenIdle();
    expect(runs).toBe(2);
    expect(timers.pending()).toEqual([]);
  });

  it('stop aborts running work through its signal', async () => {
    let aborted = false;
    const queue = new WorkQueue<string>({
      concurrency: 1,
      backoffBaseMs: 10,
      backoffMaxMs: 10,
      timers: systemClock,
      worker: (_k, signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve('done');
          }),
        ),
    });
    queue.add('a');
    queue.stop();
    await new Promise((r) => setTimeout(r, 1));
    expect(aborted).toBe(true);
  });

  it('a requeue-after is not a failure: no backoff, the failure count resets', async () => {
    const timers = manualTimers();
    const outcomes: ('retry' | { requeueAfterMs: number } | 'done')[] = ['retry', 'retry', { requeueAfterMs: 750 }, 'done'];
    const queue = new WorkQueue<string>({
      concurrency: 1,
      backoffBaseMs: 100,
      backoffMaxMs: 10_000,
      timers,
      random: () => 1,
      worker: async () => outcomes.shift()!,
    });
    const settle = () => new Promise((r) => setTimeout(r, 1));
    queue.add('a');
    await settle();
    timers.fireAll();
    await settle();
    expect(queue.failureCount('a')).toBe(2);
    expect(timers.pending()).toEqual([200]);
    timers.fireAll();
    await settle();
    expect(queue.failureCount('a')).toBe(0);
    expect(timers.pending()).toEqual([750]);
    timers.fireAll();
    await settle();
    expect(timers.pending()).toEqual([]);
  });

  it('jitters the backoff so keys that failed together do not retry in lockstep', async () => {
    const timers = manualTimers();
    const draws = [0, 0.5, 1];
    const queue = new WorkQueue<number>({
      concurrency: 3,
      backoffBaseMs: 1000,
      backoffMaxMs: 10_000,
      timers,
      random: () => draws.shift()!,
      worker: async () => 'retry',
    });
    for (const k of [1, 2, 3]) queue.add(k);
    await new Promise((r) => setTimeout(r, 5));
    expect(timers.pending().sort((a, b) => a - b)).toEqual([500, 750, 1000]);
    queue.stop();
  });

  it('pause holds every key until resume; passOf resolves after the next pass', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue<string>({
      concurrency: 2,
      backoffBaseMs: 10,
      backoffMaxMs: 10,
      timers: systemClock,
      worker: async (k) => {
        seen.push(k);
        return 'done';
      },
    });
    queue.pause();
    const passed = queue.passOf('a');
    queue.add('b');
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual([]);
    queue.resume();
    expect(await passed).toBe(true);
    await queue.whenIdle();
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('aborts a pass that runs past its timeout', async () => {
    const timers = manualTimers();
    let reason: unknown;
    const queue = new WorkQueue<string>({
      concurrency: 1,
      backoffBaseMs: 10,
      backoffMaxMs: 10,
      timers,
      timeoutMs: () => 5_000,
      worker: (_k, signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            reason = signal.reason;
            resolve('done');
          }),
        ),
    });
    const passed = queue.passOf('a');
    await new Promise((r) => setTimeout(r, 1));
    expect(timers.pending()).toEqual([5_000]);
    timers.fireAll();
    expect(await passed).toBe(true);
    expect(String((reason as Error).message)).toMatch(/took longer than 5000 ms/);
  });
});

describe('WorkQueue at rack scale', () => {
  it('works 5,000 keys once each, in the order asked, also while keys arrive during the passes', async () => {
    const order: number[] = [];
    const queue = new WorkQueue<number>({
      concurrency: 16,
      backoffBaseMs: 0,
      backoffMaxMs: 0,
      timers: systemClock,
      worker: async (key) => {
        order.push(key);
        // Keys asked for while the front is being taken: the ready list is compacted under them.
        if (key < 100) queue.add(10_000 + key);
        return 'done';
      },
    });
    for (let i = 0; i < 5000; i++) queue.add(i);
    expect(queue.size.running).toBe(16);
    await queue.whenIdle();
    const expected = [...Array(5000).keys(), ...Array.from({ length: 100 }, (_, i) => 10_000 + i)];
    expect(order.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    expect(order.length).toBe(new Set(order).size);
    expect(queue.size).toEqual({ ready: 0, running: 0, delayed: 0 });
  });
});
