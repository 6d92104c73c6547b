/**
 * `lab status`: each Pi's power, MAC, address (from the leases file), memory and faults, plus the
 * lab's own processes.
 */
import { readLeases } from './dnsmasq.ts';
import { labDir } from './paths.ts';
import { isPiRunning, piMemoryBytes } from './pi.ts';
import { isAlive } from './process.ts';
import { readState, type FaultKind } from './state.ts';

export interface LabPiStatus {
  readonly id: number;
  readonly stack: number;
  readonly state: 'running' | 'off';
  readonly mac: string;
  readonly fixedIp: string;
  /** Address of its DHCP lease, if any. */
  readonly ip?: string;
  readonly memoryBytes?: number;
  readonly faults: readonly FaultKind[];
}

export interface LabStatus {
  readonly up: boolean;
  readonly dir: string;
  readonly stacks?: number;
  readonly perStack?: number;
  readonly dnsmasq?: boolean;
  readonly repoServer?: boolean;
  readonly pis: readonly LabPiStatus[];
}

export async function labStatus(options: { dir?: string } = {}): Promise<LabStatus> {
  const dir = options.dir ?? labDir();
  const state = await readState(dir);
  if (!state) return { up: false, dir, pis: [] };
  const leases = await readLeases(dir);
  const pis = await Promise.all(
    state.pis.map(async (pi): Promise<LabPiStatus> => {
      const running = await isPiRunning(pi);
      const lease = leases.find((l) => l.mac === pi.mac.toLowerCase());
      const memory = running ? await piMemoryBytes(pi) : undefined;
      return {
        id: pi.id,
        stack: pi.stack,
        state: running ? 'running' : 'off',
        mac: pi.mac,
        fixedIp: pi.fixedIp,
        ...(lease ? { ip: lease.ip } : {}),
        ...(memory !== undefined ? { memoryBytes: memory } : {}),
        faults: Object.keys(pi.faults) as FaultKind[],
      };
    }),
  );
  return {
    up: true,
    dir,
    stacks: state.stacks,
    perStack: state.perStack,
    dnsmasq: await isAlive(state.dnsmasq),
    repoServer: await isAlive(state.http),
    pis,
  };
}

/** A table for people. */
export function formatLabStatus(status: LabStatus): string {
  if (!status.up) return `no lab is up (${status.dir})\n`;
  const lines = [
    `lab in ${status.dir}: ${status.stacks} stacks × ${status.perStack} Pis; dnsmasq ${status.dnsmasq ? 'running' : 'DOWN'}; apt repository ${status.repoServer ? 'running' : 'DOWN'}`,
    'PI  STACK  STATE    MAC                IP            MEMORY   FAULTS',
  ];
  for (const p of status.pis) {
    const mem = p.memoryBytes !== undefined ? `${(p.memoryBytes / 1048576).toFixed(1)} MB` : '-';
    lines.push(
      `${String(p.id).padEnd(3)} ${String(p.stack).padEnd(6)} ${p.state.padEnd(8)} ${p.mac}  ${(p.ip ?? '-').padEnd(13)} ${mem.padEnd(8)} ${p.faults.join(',') || '-'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
