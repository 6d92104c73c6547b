/**
 * Chooses the relay driver rack.yaml asks for. The `lab` driver belongs to the virtual rack and
 * comes in through `deps.lab` so this module does not depend on src/lab.
 */
import type { Logger } from 'pino';
import { pirackError } from '../errors.ts';
import type { RelaySpec, StackSpec } from '../model/desired.ts';
import type { RelayDriver } from './types.ts';
import { createOnoffRelay } from './onoff.ts';
import { createGpiodRelay } from './gpiod.ts';
import { createManualRelay, type ManualRelayOptions } from './manual.ts';
import type { GpioBackend } from './sysfs-gpio.ts';

export interface RelayDeps {
  /** Builds the virtual rack's driver (required for `driver: lab`). */
  readonly lab?: () => RelayDriver;
  /** Options of the manual driver (its notifier is required for `driver: manual`). */
  readonly manual?: ManualRelayOptions;
  readonly log?: Logger;
  /** onoff: sysfs root for the chip lookup and the sysfs backend (tests). */
  readonly sysfsRoot?: string;
  readonly gpioBackend?: GpioBackend;
  /** gpiod: environment for the libgpiod tools (tests). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Stack id → relayPin, refusing stacks without one (the GPIO drivers cannot switch them). */
export function relayPins(stacks: readonly StackSpec[], driver: string): Map<number, number> {
  const pins = new Map<number, number>();
  const missing: number[] = [];
  for (const s of stacks) {
    if (s.relayPin === undefined) missing.push(s.id);
    else pins.set(s.id, s.relayPin);
  }
  if (missing.length > 0) {
    throw pirackError('PIRACK_ERR_RELAY', `relay driver ${driver} needs relayPin on stack ${missing.join(', ')}`, {
      where: 'rack.yaml relay',
    });
  }
  return pins;
}

export function createRelay(spec: RelaySpec, stacks: readonly StackSpec[], deps: RelayDeps = {}): RelayDriver {
  const log = deps.log?.child({ relay: spec.driver });
  switch (spec.driver) {
    case 'onoff':
      return createOnoffRelay({
        pins: relayPins(stacks, 'onoff'),
        activeLow: spec.activeLow,
        ...(spec.chipLabel !== undefined ? { chipLabel: spec.chipLabel } : {}),
        ...(deps.sysfsRoot !== undefined ? { sysfsRoot: deps.sysfsRoot } : {}),
        ...(deps.gpioBackend !== undefined ? { backend: deps.gpioBackend } : {}),
        ...(log ? { log } : {}),
      });
    case 'gpiod':
      return createGpiodRelay({
        pins: relayPins(stacks, 'gpiod'),
        activeLow: spec.activeLow,
        ...(spec.chipLabel !== undefined ? { chipLabel: spec.chipLabel } : {}),
        ...(deps.env !== undefined ? { env: deps.env } : {}),
        ...(log ? { log } : {}),
      });
    case 'manual':
      if (!deps.manual) throw pirackError('PIRACK_ERR_RELAY', 'the manual relay driver needs a notifier (deps.manual)', { where: 'relay' });
      return createManualRelay({ ...deps.manual, ...(log ? { log } : {}) });
    case 'lab':
      if (!deps.lab)
        throw pirackError('PIRACK_ERR_RELAY', 'the lab relay driver is only available with the virtual rack (`pirack lab up`)', {
          where: 'relay',
        });
      return deps.lab();
  }
}

export type { RelayDriver } from './types.ts';
export { createOnoffRelay } from './onoff.ts';
export { createGpiodRelay } from './gpiod.ts';
export { createManualRelay, type ManualRelay, type ManualPowerRequest } from './manual.ts';
