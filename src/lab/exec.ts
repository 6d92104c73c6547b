/**
 * Runs host commands for the lab. Injected as `Exec` so unit tests can record commands instead of
 * touching the machine; every call is bounded by a timeout.
 */
import { spawn } from 'node:child_process';

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
  /** Called with each stderr line as it arrives (progress of long builds). */
  readonly onStderrLine?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a program (no shell) and resolves with its exit code; never rejects for a non-zero exit. */
export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

export const hostExec: Exec = (file, args, options = {}) =>
  new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(file, [...args], {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      if (options.onStderrLine) {
        partial += text;
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) options.onStderrLine(line);
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + 9 : 1), stdout, stderr });
    });
    if (child.stdin) {
      // A program that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });

/** Like Exec but rejects with the command and its stderr when the exit code is not 0. */
export async function mustExec(exec: Exec, file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
  const result = await exec(file, args, options);
  if (result.code !== 0) {
    const err = new Error(`${file} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    throw err;
  }
  return result;
}
