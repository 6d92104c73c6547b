/**
 * The sysfs-touching part of the onoff relay, behind an interface: onoff writes to the fixed path
 * /sys/class/gpio, which tests cannot redirect, so tests swap in a fake that speaks the same file
 * protocol over a temporary tree.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type PinDirection = 'in' | 'out';

/**
 * What the relay needs from one exported line. Values are logical: the line is opened with the
 * board's polarity as sysfs `active_low`, so 1 always means "stack ON". `setDirection('high' |
 * 'low')` is physical (the kernel's `direction` file ignores active_low), and makes the line an
 * output already at that level.
 */
export interface GpioPin {
  direction(): string;
  setDirection(direction: 'in' | 'high' | 'low'): void;
  readSync(): 0 | 1;
  writeSync(value: 0 | 1): void;
}

export interface GpioBackend {
  /** Whether the sysfs GPIO interface can be used at all (export writable). */
  accessible(): boolean;
  /** Direction of a line already exported, or undefined when it is not; only reads. */
  exportedDirection(gpio: number): PinDirection | undefined;
  /**
   * Exports the line when needed and opens it. `direction` must be the line's current direction
   * for an exported line (it is then not rewritten) and `in` for a line being exported, so opening
   * never drives a level.
   */
  open(gpio: number, direction: PinDirection, activeLow: boolean): Promise<GpioPin>;
}

function readDirection(sysfsRoot: string, gpio: number): PinDirection | undefined {
  try {
    const text = readFileSync(join(sysfsRoot, 'class', 'gpio', `gpio${gpio}`, 'direction'), 'utf8').trim();
    return text === 'out' ? 'out' : 'in';
  } catch {
    return undefined;
  }
}

/** The real backend: onoff on /sys/class/gpio. onoff is loaded on first use (it needs epoll). */
export function onoffBackend(): GpioBackend {
  return {
    accessible() {
      // Same meaning as onoff's Gpio.accessible (export openable for writing), without loading epoll.
      try {
        accessSync('/sys/class/gpio/export', constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    exportedDirection: (gpio) => readDirection('/sys', gpio),
    async open(gpio, direction, activeLow) {
      const { Gpio } = await import('onoff');
      // reconfigureDirection: false makes onoff leave the direction file alone when it already
      // matches, so neither an exported output nor a freshly exported input is rewritten.
      return new Gpio(gpio, direction, undefined, { activeLow, reconfigureDirection: false });
    },
  };
}
