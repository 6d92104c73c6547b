/**
 * Folds bursts of events per key into a bounded number of notices: the first event of a quiet key
 * goes out at once (so a single edit is reported without delay), later ones within the window are
 * counted and go out as one notice when the window ends. A file rewritten 1,000 times a second
 * therefore yields about one notice per window, never a thousand.
 */

/** The timer functions the coalescer uses; injected so tests run on a fake clock. */
export interface CoalesceTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: CoalesceTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Cooling {
  pending: number;
  timer: unknown;
}

export class Coalescer {
  readonly #cooling = new Map<string, Cooling>();

  constructor(
    readonly windowMs: number,
    private readonly emit: (key: string, count: number) => void,
    private readonly timers: CoalesceTimers = realTimers,
  ) {}

  /** Records one event for `key`. */
  note(key: string): void {
    const cooling = this.#cooling.get(key);
    if (cooling) {
      cooling.pending += 1;
      return;
    }
    this.emit(key, 1);
    this.#arm(key, { pending: 0, timer: undefined });
  }

  /** Keys inside their window now. */
  get size(): number {
    return this.#cooling.size;
  }

  /** Drops every window without emitting what is pending. */
  close(): void {
    for (const c of this.#cooling.values()) this.timers.clearTimeout(c.timer);
    this.#cooling.clear();
  }

  #arm(key: string, cooling: Cooling): void {
    this.#cooling.set(key, cooling);
    cooling.timer = this.timers.setTimeout(() => {
      if (cooling.pending === 0) {
        this.#cooling.delete(key);
        return;
      }
      const count = cooling.pending;
      cooling.pending = 0;
      this.emit(key, count);
      // Stay in the window: a key that keeps firing yields one notice per window.
      this.#arm(key, cooling);
    }, this.windowMs);
  }
}
