/**
 * "A new Pi in the same slot": what a person does when a dead Pi is swapped for a freshly flashed
 * one. The old Pi's power is cut, its SD card is thrown away and a blank one made (its root is the
 * image copied anew, as `lab up` does, so the new Pi makes its own SSH host keys and machine id at
 * first boot), its network port gets a new MAC, and it boots in the same slot: same stack, hence
 * the same relay, same namespace and veth. It asks DHCP as a fresh Pi does; its MAC is known to
 * nothing. A Pi whose stack is off stays off and boots with its stack.
 *
 * A failure leaves the Pi powered off (the old Pi is gone either way), whatever was mounted for the
 * new card unmounted, and the state file naming the MAC its port has: `lab swap` again, or `lab down`.
 */
import { rm } from 'node:fs/promises';
import { pirackError, isPiRackError } from '../errors.ts';
import { hostExec, mustExec, type Exec } from './exec.ts';
import { unmountAllUnder } from './mounts.ts';
import { labDir, piFiles } from './paths.ts';
import { isPiRunning, preparePiRoot } from './pi.ts';
import { powerOff, powerOn } from './power.ts';
import { findPi, readState, updateState, withPi } from './state.ts';
import { setRootLogin } from './up.ts';

export interface LabSwapOptions {
  readonly dir?: string;
  readonly exec?: Exec;
  /** The new Pi's MAC; default the next one after the old (swappedMac). */
  readonly mac?: string;
}

export interface LabSwapResult {
  readonly id: number;
  readonly oldMac: string;
  readonly newMac: string;
  /** Whether the new Pi was booted (its stack was powered). */
  readonly booted: boolean;
}

/**
 * The MAC of the next Pi in a slot: the fourth byte counts swaps (b8:27:eb:00:HH:LL is the Pi
 * `lab up` made, :01: the first replacement, …), so each is unique and still reads as its slot.
 */
export function swappedMac(mac: string): string {
  const bytes = mac.toLowerCase().split(':');
  if (bytes.length !== 6 || bytes.some((b) => !/^[0-9a-f]{2}$/.test(b))) throw new RangeError(`not a MAC: ${mac}`);
  const next = (parseInt(bytes[3]!, 16) % 255) + 1;
  bytes[3] = next.toString(16).padStart(2, '0');
  return bytes.join(':');
}

/** The `ip` argv that gives a Pi's eth0 (inside its namespace) a MAC. */
export function setMacArgs(netns: string, mac: string): string[] {
  return ['-n', netns, 'link', 'set', 'eth0', 'address', mac];
}

export async function labSwap(id: number, options: LabSwapOptions = {}): Promise<LabSwapResult> {
  const dir = options.dir ?? labDir();
  const exec = options.exec ?? hostExec;
  const state = await readState(dir);
  if (!state) throw pirackError('PIRACK_ERR_LAB', 'no lab is up (run `pirack lab up`)', { where: `pi ${id}` });
  const pi = findPi(state, id);
  const newMac = (options.mac ?? swappedMac(pi.mac)).toLowerCase();
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(newMac)) throw pirackError('PIRACK_ERR_USAGE', `--mac: not a MAC: ${options.mac}`);
  const taken = state.pis.find((p) => p.mac.toLowerCase() === newMac);
  if (taken) throw pirackError('PIRACK_ERR_USAGE', `MAC ${newMac} is pi ${taken.id}'s already; nothing was changed`, { where: `pi ${id}` });
  // The slot is powered when any Pi of its stack runs (the lab relay reads a stack the same way).
  const stackPowered = (await Promise.all(state.pis.filter((p) => p.stack === pi.stack).map((p) => isPiRunning(p)))).some(Boolean);
  const f = piFiles(dir, id);
  try {
    await powerOff(dir, id, exec);
    // The old card, and whatever faults of the old Pi saved on the host, go with it.
    await unmountAllUnder(exec, f.base);
    await rm(f.sdImage, { force: true });
    await rm(f.savedHostKeys, { recursive: true, force: true });
    await mustExec(exec, 'ip', setMacArgs(pi.netns, newMac));
    await updateState(dir, (s) => withPi(s, id, (p) => ({ ...p, mac: newMac, faults: {} })));
    const root = await preparePiRoot(exec, dir, id, state.imageDir);
    await setRootLogin(root, state.rootLogin === true);
    const booted = stackPowered ? await powerOn(dir, id, exec) : false;
    return { id, oldMac: pi.mac, newMac, booted };
  } catch (err) {
    await powerOff(dir, id, exec).catch(() => undefined);
    await unmountAllUnder(exec, f.base).catch(() => undefined);
    const message = isPiRackError(err) ? err.message : (err as Error).message;
    throw pirackError(
      'PIRACK_ERR_LAB',
      `swapping pi ${id} failed: ${message}; it is left powered off (run \`pirack lab swap ${id}\` again, or \`pirack lab down\`)`,
      {
        cause: err,
        where: `pi ${id}`,
      },
    );
  }
}
