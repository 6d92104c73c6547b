/**
 * The bench's view of the virtual rack (src/lab): boot, status, tear down and run a command inside
 * a Pi. An interface so the harness's lab handling (reuse, wait, clean up) is tested without
 * booting anything.
 */
import { labDown, labExec, labFault, labStatus, labUp, readState } from '../../src/lab/index.ts';

export interface LabCommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface LabView {
  readonly up: boolean;
  readonly dir: string;
  /** Ids of the Pis that are running. */
  readonly running: readonly number[];
  readonly stacks?: number;
  readonly perStack?: number;
  /** When this lab was booted: a different value later means someone re-created it. */
  readonly createdAt?: string;
}

export interface LabPort {
  status(): Promise<LabView>;
  up(stacks: number, perStack: number, progress: (line: string) => void): Promise<{ readonly dir: string; readonly rackYaml: string }>;
  down(progress: (line: string) => void): Promise<void>;
  /** Runs `cmd` with sh inside a running Pi (not over SSH: nsenter from the host). */
  exec(pi: number, cmd: string, options?: { readonly input?: string; readonly timeoutMs?: number }): Promise<LabCommandResult>;
  /** Where a lab that is up keeps its rack.yaml. */
  rackYamlOf(dir: string): string;
  /** Injects (or, with undo, lifts) a lab fault on a Pi; absent in fakes that have no faults. */
  fault?(pi: number, kind: 'power-loss', undo: boolean): Promise<void>;
}

export const realLab: LabPort = {
  async status() {
    const s = await labStatus();
    const state = s.up ? await readState(s.dir).catch(() => undefined) : undefined;
    return {
      ...(state ? { createdAt: state.createdAt } : {}),
      up: s.up,
      dir: s.dir,
      running: s.pis.filter((p) => p.state === 'running').map((p) => p.id),
      ...(s.stacks !== undefined ? { stacks: s.stacks } : {}),
      ...(s.perStack !== undefined ? { perStack: s.perStack } : {}),
    };
  },
  async up(stacks, perStack, progress) {
    // The root-login lab: the contenders (Ansible, plain OpenSSH, cdist) log in as root, like the original's racks.
    const r = await labUp({ stacks, perStack, rootLogin: true, progress });
    return { dir: r.dir, rackYaml: r.rackYaml };
  },
  async down(progress) {
    await labDown({ progress });
  },
  exec(pi, cmd, options = {}) {
    return labExec(pi, cmd, {
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  },
  rackYamlOf(dir) {
    return `${dir}/rack.yaml`;
  },
  async fault(pi, kind, undo) {
    await labFault(pi, kind, { undo });
  },
};
