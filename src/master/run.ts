/** How the master's install steps start programs: injected, so tests can record or refuse them. */
import { execFile } from 'node:child_process';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type Runner = (program: string, args: readonly string[]) => Promise<RunResult>;

/** The real runner: no shell, arguments passed as they are. */
export const runProgram: Runner = (program, args) =>
  new Promise((resolve) => {
    execFile(program, [...args], { timeout: 120_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
