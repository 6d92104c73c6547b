/**
 * Commands inside a running Pi, from the host, through nsenter into the namespaces of the
 * container's PID 1 (systemd-run -M needs machined registration, which the lab does not use).
 * For tests that make drift by hand and for fault injection; the daemon itself only uses SSH.
 */
import { pirackError } from '../errors.ts';
import { hostExec, type Exec, type ExecResult } from './exec.ts';
import { readLeases } from './dnsmasq.ts';
import { labDir } from './paths.ts';
import { isAlive } from './process.ts';
import { liveInit } from './pi.ts';
import { findPi, readState, type LabPiState } from './state.ts';

export interface LabExecOptions {
  readonly dir?: string;
  readonly exec?: Exec;
  readonly timeoutMs?: number;
  readonly input?: string;
}

/** The argv that runs `cmd` with sh inside the container whose PID 1 is `initPid`. */
export function nsenterArgs(initPid: number, cmd: string): string[] {
  return ['-t', String(initPid), '-a', '/bin/sh', '-c', cmd];
}

export async function runningPi(dir: string, id: number): Promise<LabPiState & { init: NonNullable<LabPiState['init']> }> {
  const state = await readState(dir);
  if (!state) throw pirackError('PIRACK_ERR_LAB', 'no lab is up', { where: `pi ${id}` });
  const pi = findPi(state, id);
  const init = await liveInit(pi);
  if (!init) {
    const why = (await isAlive(pi.nspawn)) ? 'is rebooting (between two boots); try again in a moment' : 'is powered off';
    throw pirackError('PIRACK_ERR_LAB', `pi ${id} ${why}`, { where: `pi ${id}` });
  }
  return { ...pi, init };
}

/** Runs a shell command inside a running Pi; resolves with its exit code and output. */
export async function labExec(id: number, cmd: string, options: LabExecOptions = {}): Promise<ExecResult> {
  const dir = options.dir ?? labDir();
  const pi = await runningPi(dir, id);
  return (options.exec ?? hostExec)('nsenter', nsenterArgs(pi.init.pid, cmd), {
    timeoutMs: options.timeoutMs ?? 120_000,
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
}

/** The address the Pi holds now: its current DHCP lease, else its fixed address. */
export async function labPiAddress(id: number, options: { dir?: string } = {}): Promise<string> {
  const dir = options.dir ?? labDir();
  const state = await readState(dir);
  if (!state) throw pirackError('PIRACK_ERR_LAB', 'no lab is up', { where: `pi ${id}` });
  const pi = findPi(state, id);
  const lease = (await readLeases(dir)).find((l) => l.mac === pi.mac.toLowerCase());
  return lease?.ip ?? pi.fixedIp;
}
