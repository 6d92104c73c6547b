/**
 * Spacing between stacks switched on one after another, so their Pis' inrush currents do not
 * add up on one power supply (relay.stagger in rack.yaml).
 */
export interface Stagger {
  /** Waits until `staggerMs` have passed since the previous switch-on, then records this one. */
  beforeOn(signal?: AbortSignal): Promise<void>;
}

export function createStagger(staggerMs: number, now: () => number, sleep: (ms: number, signal?: AbortSignal) => Promise<void>): Stagger {
  let lastOn: number | undefined;
  return {
    async beforeOn(signal) {
      if (lastOn !== undefined) {
        const wait = lastOn + staggerMs - now();
        if (wait > 0) await sleep(wait, signal);
      }
      lastOn = now();
    },
  };
}
