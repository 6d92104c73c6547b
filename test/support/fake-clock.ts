/**
 * A Clock (src/util/clock.ts) driven by the test: time moves only on `advance` (or, with
 * `autoSleep`, when something sleeps), and timers fire in due order as it moves.
 */
import type { Clock } from '../../src/util/clock.ts';

export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): Promise<void>;
  /** Delays of the timers still pending. */
  pending(): number[];
  readonly sleeps: number[];
}

export function fakeClock(start = 1_700_000_000_000, options: { autoSleep?: boolean } = {}): FakeClock {
  let t = start;
  let next = 1;
  const timers = new Map<number, { at: number; ms: number; fn: () => void }>();
  const sleeps: number[] = [];
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  const clock: FakeClock = {
    now: () => t,
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(id, { at: t + ms, ms, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    sleeps,
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      if (options.autoSleep) {
        t += ms;
        await Promise.resolve();
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const id = clock.setTimeout(resolve, ms);
        signal?.addEventListener(
          'abort',
          () => {
            clock.clearTimeout(id);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      const end = t + ms;
      for (;;) {
        await settle();
        const due = [...timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        t = Math.max(t, due[1].at);
        due[1].fn();
      }
      t = end;
      await settle();
    },
    pending: () => [...timers.values()].map((x) => x.ms),
  };
  return clock;
}
