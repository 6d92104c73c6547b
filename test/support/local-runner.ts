/**
 * An SshRunner that runs commands on this machine with /bin/sh, for unit tests of scripts meant
 * for a Pi (this machine is Debian too). Only for read-only scripts such as the probe.
 */
import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult, SshRunner, SshTarget } from '../../src/ssh/types.ts';

export function localRunner(): SshRunner & { commands: string[] } {
  const commands: string[] = [];
  return {
    commands,
    exec(_target: SshTarget, command: string, options: ExecOptions = {}): Promise<ExecResult> {
      commands.push(command);
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout, stderr, durationMs: Date.now() - started }));
        child.stdin.end(options.stdin ?? '');
      });
    },
    usedBootstrap: () => false,
    forget: () => undefined,
    connectionCount: () => 0,
    close: async () => undefined,
  };
}
