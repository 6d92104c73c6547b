/**
 * Runs one host program for a contender (ssh, sshpass, ansible-playbook) and times it. Injected
 * as `RunProcess` so the contenders' command building is tested without a rack; every run has a
 * timeout and an optional AbortSignal, and a killed child is reported, never left behind.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface ProcessResult {
  /** Exit code; 124 after our timeout, 130 after an abort (as shells report them). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export interface RunProcessOptions {
  readonly input?: string;
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

export type RunProcess = (file: string, args: readonly string[], options: RunProcessOptions) => Promise<ProcessResult>;

const MAX_CAPTURE = 4 * 1024 * 1024;

export const runProcess: RunProcess = (file, args, options) =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, [...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    let killedFor: number | undefined;
    const kill = (code: number): void => {
      killedFor ??= code;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(124), options.timeoutMs);
    const onAbort = (): void => kill(130);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // Output beyond a few MB is only noise for a benchmark; keep the head, which has the errors.
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_CAPTURE) stderr += d.toString();
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code: killedFor ?? code ?? (signal ? 128 + 9 : 1), stdout, stderr, durationMs: performance.now() - started });
    });
    child.stdin.on('error', () => {
      // The remote side may exit before reading all of stdin; its exit code tells what happened.
    });
    child.stdin.end(options.input ?? '');
    if (options.signal?.aborted) onAbort();
  });

/** Last non-empty line of some output, for one-line failure messages. */
export function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
