/**
 * The machine a run was measured on, for results.json and BENCHMARKS.md. Readers are injected so
 * the parsing is tested without this machine's answers.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryMB: number;
  readonly kernel: string;
  readonly os: string;
  readonly node: string;
  readonly ansible: string;
  /** Absent in results measured before cdist was a contender. */
  readonly cdist?: string;
  readonly openssh: string;
  readonly date: string;
}

export interface MachineProbe {
  readonly readFile: (path: string) => string | undefined;
  /** stdout + stderr of a command, or undefined when it could not run. */
  readonly run: (file: string, args: readonly string[]) => string | undefined;
  readonly cores: () => number;
  readonly totalMem: () => number;
  readonly release: () => string;
  readonly nodeVersion: string;
  readonly now: () => Date;
}

export const hostProbe: MachineProbe = {
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  run: (file, args) => {
    const r = spawnSync(file, [...args], { encoding: 'utf8', timeout: 20_000 });
    return r.error ? undefined : `${r.stdout ?? ''}${r.stderr ?? ''}`;
  },
  cores: () => os.cpus().length,
  totalMem: () => os.totalmem(),
  release: () => os.release(),
  nodeVersion: process.version,
  now: () => new Date(),
};

export function cpuModelOf(cpuinfo: string | undefined): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(cpuinfo ?? '');
  return match ? match[1]!.trim() : 'unknown';
}

export function osNameOf(osRelease: string | undefined): string {
  const match = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease ?? '');
  return match ? match[1]! : 'unknown';
}

export function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0]?.trim() || 'not found';
}

export function machineInfo(probe: MachineProbe = hostProbe): MachineInfo {
  return {
    cpuModel: cpuModelOf(probe.readFile('/proc/cpuinfo')),
    cores: probe.cores(),
    memoryMB: Math.round(probe.totalMem() / 1024 / 1024),
    kernel: probe.release(),
    os: osNameOf(probe.readFile('/etc/os-release')),
    node: probe.nodeVersion,
    ansible: firstLine(probe.run('ansible-playbook', ['--version'])),
    cdist: firstLine(probe.run('cdist', ['--version'])),
    openssh: firstLine(probe.run('ssh', ['-V'])),
    date: probe.now().toISOString(),
  };
}
