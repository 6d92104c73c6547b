/**
 * Relay on sysfs GPIO through onoff.
 *
 * Polarity: each line is opened with sysfs `active_low` set to the board's polarity (relay.activeLow),
 * so the logical value is 1 = stack ON on every board; reads and writes of `value` use that.
 *
 * Glitch-free start-up: opening a line never drives it. A line not yet exported is exported as an
 * input (the state it already has after boot); an exported line keeps its direction. Only `set()`
 * makes a line an output, and it does so with the kernel's `high`/`low` direction strings, which
 * switch to output already at the wanted physical level. Writing `out` would start the line LOW,
 * which is ON for an active-low board, even for a moment. Because lines are never unexported
 * (that would let them float), a restarted daemon finds every output at the level it had and
 * reads it back unchanged.
 */
import type { Logger } from 'pino';
import { pirackError, isPiRackError } from '../errors.ts';
import type { PowerState } from '../model/desired.ts';
import type { RelayDriver } from './types.ts';
import { findGpioChip, sysfsNumber, type GpioChipInfo } from './chip.ts';
import { onoffBackend, type GpioBackend, type GpioPin } from './sysfs-gpio.ts';

export interface OnoffRelayOptions {
  /** Stack id → BCM line (rack.yaml relayPin). */
  readonly pins: ReadonlyMap<number, number>;
  readonly activeLow: boolean;
  /** gpiochip label; the known Pi labels are tried when absent. */
  readonly chipLabel?: string;
  /** Root of sysfs for the chip lookup; default `/sys`. */
  readonly sysfsRoot?: string;
  /** The sysfs-touching part; default onoff on /sys/class/gpio. */
  readonly backend?: GpioBackend;
  readonly log?: Logger;
}

/** Physical level that means `state` on this board, as the kernel's direction string. */
export function physicalLevel(state: PowerState, activeLow: boolean): 'high' | 'low' {
  return (state === 'on') !== activeLow ? 'high' : 'low';
}

export function createOnoffRelay(options: OnoffRelayOptions): RelayDriver {
  const backend = options.backend ?? onoffBackend();
  let chip: Promise<GpioChipInfo> | undefined;
  const pins = new Map<number, Promise<GpioPin>>();

  const lineOf = (stack: number): number => {
    const line = options.pins.get(stack);
    if (line === undefined) throw pirackError('PIRACK_ERR_RELAY', `stack ${stack} has no relayPin`, { where: `stack ${stack}` });
    return line;
  };

  const open = (stack: number): Promise<GpioPin> => {
    let pin = pins.get(stack);
    if (!pin) {
      pin = (async () => {
        const line = lineOf(stack);
        if (!backend.accessible()) {
          throw pirackError(
            'PIRACK_ERR_RELAY',
            'sysfs GPIO is not writable: run the daemon as root (or in the gpio group), or use relay.driver: gpiod on kernels without sysfs GPIO',
            {
              where: `stack ${stack}`,
            },
          );
        }
        chip ??= findGpioChip({
          ...(options.sysfsRoot !== undefined ? { sysfsRoot: options.sysfsRoot } : {}),
          ...(options.chipLabel !== undefined ? { chipLabel: options.chipLabel } : {}),
        });
        const gpio = sysfsNumber(await chip, line);
        const direction = backend.exportedDirection(gpio) ?? 'in';
        options.log?.debug({ stack, line, gpio, direction }, 'opening relay line without driving it');
        return backend.open(gpio, direction, options.activeLow);
      })();
      // A failed open is retried on the next call rather than cached forever.
      pin.catch(() => pins.delete(stack));
      pins.set(stack, pin);
    }
    return pin;
  };

  const fail = (stack: number, what: string, cause: unknown) =>
    isPiRackError(cause)
      ? cause
      : pirackError('PIRACK_ERR_RELAY', `stack ${stack}: ${what}: ${(cause as Error).message}`, { cause, where: `stack ${stack}` });

  return {
    name: 'onoff',
    async read(stack) {
      let pin: GpioPin;
      try {
        pin = await open(stack);
      } catch (cause) {
        throw fail(stack, 'cannot open the relay line', cause);
      }
      try {
        // An input is driven by nobody: its level is the pulls' guess, not a relay setting.
        if (pin.direction() !== 'out') return 'unknown';
        return pin.readSync() === 1 ? 'on' : 'off';
      } catch (cause) {
        options.log?.warn({ stack, err: cause }, 'relay read-back failed');
        return 'unknown';
      }
    },
    async set(stack, state, signal) {
      if (signal?.aborted)
        throw pirackError('PIRACK_ERR_ABORTED', `power ${state} of stack ${stack} cancelled`, { where: `stack ${stack}` });
      try {
        const pin = await open(stack);
        if (pin.direction() === 'out') pin.writeSync(state === 'on' ? 1 : 0);
        else pin.setDirection(physicalLevel(state, options.activeLow));
        const back = pin.readSync() === 1 ? 'on' : 'off';
        if (back !== state) throw new Error(`read back ${back} after setting ${state}`);
        options.log?.info({ stack, state }, 'relay switched');
      } catch (cause) {
        throw fail(stack, `cannot switch ${state}`, cause);
      }
    },
    async close() {
      // Deliberately no unexport: an unexported line floats and may switch the relay.
      pins.clear();
    },
  };
}
