import { describe, expect, it } from 'vitest';
import { backoffDelay, WorkQueue, type Timers } from '../../../src/reconcile/queue.ts';

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
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, 1000, 5000))).toEqual([0, 1000, 2000, 4000, 5000, 5000]);
  });
});

describe('WorkQueue', () => {
  it('runs each key once even when added many times while queued', async () => {
    const seen: string[] = [];
    const busy = deferred();
    const queue = new WorkQueue<string>({
      concurrency: 1, backoffBaseMs: 10, backoffMaxMs: 10,
      worker: async (k) => { if (k === 'x') await busy.promise; seen.push(k); return 'done'; },
    });
    queue.add('x');
    queue.add('a'); queue.add('a'); queue.add('b'); queue.add('a');
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
      concurrency: 4, backoffBaseMs: 10, backoffMaxMs: 10,
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
      concurrency: 3, backoffBaseMs: 10, backoffMaxMs: 10,
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
    const queue = new WorkQueue<string>({ concurrency: 1, backoffBaseMs: 100, backoffMaxMs: 300, timers, worker: async () => outcomes.shift()! });
    const settle = () => new Promise((r) => setTimeout(r, 1));
    queue.add('a');
    await settle();
    expect(timers.pending()).toEqual([100]);
    timers.fireAll(); await settle();
    expect(timers.pending()).toEqual([200]);
    timers.fireAll(); await settle();
    expect(timers.pending()).toEqual([300]);
    timers.fireAll(); await settle();
    expect(timers.pending()).toEqual([]);
    expect(queue.failureCount('a')).toBe(0);
    queue.add('a'); await settle();
    expect(timers.pending()).toEqual([100]);
    queue.stop();
  });

  it('an explicit request overrides a pending backoff', async () => {
    const timers = manualTimers();
    let runs = 0;
    const queue = new WorkQueue<string>({ concurrency: 1, backoffBaseMs: 1000, backoffMaxMs: 1000, timers, worker: async () => (++runs === 1 ? 'retry' : 'done') });
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
      concurrency: 1, backoffBaseMs: 10, backoffMaxMs: 10,
      worker: (_k, signal) => new Promise((resolve) => signal.addEventListener('abort', () => { aborted = true; resolve('done'); })),
    });
    queue.add('a');
    queue.stop();
    await new Promise((r) => setTimeout(r, 1));
    expect(aborted).toBe(true);
  });
});
