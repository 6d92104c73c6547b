/**
 * One interface for every way a stack's power can be switched: sysfs GPIO through onoff, libgpiod's
 * gpioset, the virtual rack, or a person following instructions.
 */
import type { PowerState } from '../model/desired.ts';

export interface RelayDriver {
  readonly name: string;
  /**
   * Reads the stack's power as the relay is set now, without changing anything. `unknown` when
   * the level cannot be read (an unexported pin, the manual driver before any confirmation).
   */
  read(stack: number): Promise<PowerState | 'unknown'>;
  /** Drives the stack's relay. Rejects with PIRACK_ERR_RELAY on failure, leaving the level as it was. */
  set(stack: number, state: PowerState, signal?: AbortSignal): Promise<void>;
  /**
   * Whether a Pi of the relay's stacks has halted (a graceful shutdown finished), for drivers that
   * can see it (the lab sees its container gone); others leave it out and the SSH port is asked.
   */
  halted?(node: number): Promise<boolean>;
  /** Releases pins and processes; never changes a level. */
  close(): Promise<void>;
}
