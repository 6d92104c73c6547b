/**
 * Powering lab Pis on and off, recording the PIDs in the state file as soon as they exist so
 * `lab down` finds them even if this process dies right after.
 */
import { hostExec, mustExec, type Exec } from './exec.ts';
import { bootPi, isPiRunning, powerOffPi, preparePiRoot } from './pi.ts';
import { findPi, readState, updateState, withPi, type LabPiState } from './state.ts';
import { pirackError } from '../errors.ts';

/** Boots the Pi unless it runs already; its card keeps what it held when power was cut. */
export async function powerOn(dir: string, id: number, exec: Exec = hostExec): Promise<boolean> {
  const state = await readState(dir);
  if (!state) throw pirackError('PIRACK_ERR_LAB', 'no lab is up', { where: `pi ${id}` });
  const pi = findPi(state, id);
  if (await isPiRunning(pi)) return false;
  await preparePiRoot(exec, dir, id, state.imageDir);
  // Plugged back in: the link comes up with the power (powerOff took it down).
  await linkUp(exec, pi.netns, true);
  const { nspawn, init } = await bootPi(dir, pi);
  await updateState(dir, (s) =>
    withPi(s, id, (p) => {
      // Faults held by processes of the old boot died with it.
      const { 'power-loss': _gone, 'sshd-stopped': _s, 'hostkey-regenerated': h, 'dpkg-lock': _d, ...kept } = p.faults;
      return { ...p, nspawn, init, faults: { ...kept, ...(h ? { 'hostkey-regenerated': h } : {}) } };
    }),
  );
  return true;
}

/**
 * Cuts the Pi's power (SIGKILL to its init); no-op when it is off. A real Pi that loses power goes
 * silent: no FIN, no RST, no ARP answer. Killing the container alone would let its kernel close
 * every socket politely (the netns outlives it), so the Pi's link is taken down first: nothing
 * leaves or enters it until power returns.
 */
export async function powerOff(dir: string, id: number, exec: Exec = hostExec): Promise<boolean> {
  const state = await readState(dir);
  if (!state) throw pirackError('PIRACK_ERR_LAB', 'no lab is up', { where: `pi ${id}` });
  const pi: LabPiState = findPi(state, id);
  const was = await isPiRunning(pi);
  await linkUp(exec, pi.netns, false);
  await powerOffPi(pi);
  await updateState(dir, (s) =>
    withPi(s, id, (p) => {
      const { nspawn: _n, init: _i, ...rest } = p;
      return rest;
    }),
  );
  return was;
}

/** The `ip` argv that takes a Pi's eth0 (inside its namespace) up or down. */
export function linkArgs(netns: string, up: boolean): string[] {
  return ['-n', netns, 'link', 'set', 'eth0', up ? 'up' : 'down'];
}

async function linkUp(exec: Exec, netns: string, up: boolean): Promise<void> {
  await mustExec(exec, 'ip', linkArgs(netns, up));
}
