/**
 * At most `limit` watch streams between "open the channel" and the slave's hello. Every slave
 * starts Node.js when its stream opens; 48 of them at once (a daemon start, a stack powered on)
 * starve a small master, or the lab's 2 cores, past the hello timeout, and a Pi that misses it is
 * polled for a minute. Through the gate they start a few at a time, each within its timeout.
 */
export class OpeningGate {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#free = Math.max(1, Math.floor(limit));
  }

  /**
   * Calls `start` once a slot is free (at once when one is). The returned function gives the
   * slot back, or leaves the queue if `start` has not run yet; calls after the first do nothing.
   */
  enter(start: () => void): () => void {
    let state: 'waiting' | 'in' | 'out' = 'waiting';
    const go = (): void => {
      state = 'in';
      start();
    };
    if (this.#free > 0) {
      this.#free -= 1;
      go();
    } else {
      this.#waiting.push(go);
    }
    return () => {
      if (state === 'waiting') this.#waiting.splice(this.#waiting.indexOf(go), 1);
      else if (state === 'in') this.#handOn();
      state = 'out';
    };
  }

  /** Slots free now (for tests and the status of a busy start). */
  get free(): number {
    return this.#free;
  }

  #handOn(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free += 1;
  }
}
