/**
 * `vcgencmd get_throttled` on a Raspberry Pi: under-voltage and throttling flags. Absent on other
 * machines (and in the lab unless its stand-in is installed): then the figure is null and the
 * command is not tried again.
 */
import { execFile } from 'node:child_process';

/** Bits of `get_throttled`, from the Raspberry Pi documentation. */
export const THROTTLE_BITS = {
  underVoltageNow: 1 << 0,
  armFrequencyCappedNow: 1 << 1,
  throttledNow: 1 << 2,
  softTemperatureLimitNow: 1 << 3,
  underVoltageOccurred: 1 << 16,
  armFrequencyCappedOccurred: 1 << 17,
  throttledOccurred: 1 << 18,
  softTemperatureLimitOccurred: 1 << 19,
} as const;

/** `throttled=0x50005` → 0x50005; null for anything else. */
export function parseThrottled(text: string): number | null {
  const m = /throttled=(0x[0-9a-fA-F]+|\d+)/.exec(text);
  if (!m?.[1]) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Reads the flags; remembers when vcgencmd does not exist so the next calls cost nothing. */
export class ThrottleReader {
  #missing = false;

  constructor(private readonly command = 'vcgencmd') {}

  read(): Promise<number | null> {
    if (this.#missing) return Promise.resolve(null);
    return new Promise((resolve) => {
      execFile(this.command, ['get_throttled'], { timeout: 2_000 }, (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') this.#missing = true;
        resolve(err ? null : parseThrottled(stdout));
      });
    });
  }
}
