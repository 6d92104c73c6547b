/** What every lab scenario gets from the harness: the rack, the Pis, the effects and a temp dir. */
import type { Logger } from 'pino';
import type { NodeSpec, RackSpec } from '../../src/model/desired.ts';
import type { LabPort } from '../lib/lab-port.ts';
import type { RunProcess } from '../lib/process.ts';
import type { OpenSshConfig } from '../contenders/openssh.ts';

export interface ScenarioEnv {
  /** The lab's rack with the bench's overrides (concurrency = number of Pis). */
  readonly rack: RackSpec;
  /** The Pis every contender works on (the first --pis of the rack). */
  readonly nodes: readonly NodeSpec[];
  readonly lab: LabPort;
  readonly run: RunProcess;
  /** A short temp path (control sockets live under it) removed when the bench ends. */
  readonly tmp: string;
  readonly log: Logger;
  readonly progress: (line: string) => void;
  readonly signal: AbortSignal;
}

/** Plain OpenSSH settings for the baseline from the rack, sockets under `controlDir`. */
export function opensshConfig(rack: RackSpec, controlDir: string, knownHostsFile: string): OpenSshConfig {
  return {
    user: rack.ssh.user,
    port: rack.ssh.port,
    keyFile: rack.ssh.keyFile,
    controlDir,
    knownHostsFile,
    connectTimeoutS: Math.max(1, Math.round(rack.ssh.connectTimeoutMs / 1000)),
    persistS: 60,
    ...(rack.ssh.bootstrap ? { passwordFile: rack.ssh.bootstrap.passwordFile } : {}),
  };
}

/** Throws when the run was cancelled (Ctrl-C), so a scenario stops between steps. */
export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Error('cancelled');
}

/** "pi 3: …; pi 7: …" with at most `max` entries, for one-line failure reasons. */
export function summarizeFailures(failures: readonly string[], max = 3): string {
  return failures.slice(0, max).join('; ') + (failures.length > max ? `; and ${failures.length - max} more` : '');
}
