/**
 * Runs remote scripts on this machine under a chosen shell (dash, bash) with a PATH whose first
 * folder holds recording shims for the commands a Pi would run for real (systemctl, apt-get,
 * * dpkg, getent, id, chown, sync). Each shim call is logged as a JSON argv, so a test can assert on exactly what
 * ran and that every argument arrived byte for byte. Everything else (mkdir, mktemp, sha256sum,
 * stat, mv) is the real coreutils, working inside the sandbox's temporary folder.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecOptions, ExecResult, SshRunner, SshTarget } from '../../src/ssh/types.ts';

const SHIMMED = ['systemctl', 'apt-get', 'dpkg', 'dpkg-query', 'getent', 'id', 'chown', 'sync'];

const SHIM = `#!/usr/bin/python3
import json, os, sys
name = os.path.basename(sys.argv[0])
with open(os.environ['PIRACK_SHIM_LOG'], 'a', encoding='utf-8', errors='surrogateescape') as log:
    log.write(json.dumps([name] + sys.argv[1:]) + '\\n')
if name == 'getent':
    print('pi:x:0:0::' + os.environ['PIRACK_SHIM_HOME'] + ':/bin/sh')
elif name == 'id':
    print('root')
elif name == 'dpkg-query':
    sys.exit(1)
`;

export interface Sandbox {
  readonly dir: string;
  /** Where an injected command would leave its mark; must never exist. */
  readonly canary: string;
  readonly home: string;
  /** Every shim call since the last `reset`, as argv (command name first). */
  calls(): string[][];
  reset(): void;
  run(shell: string, script: string, stdin?: string | Buffer): Promise<ExecResult>;
  /** An SshRunner over `run`, for controllers' executors. */
  runner(shell: string): SshRunner & { commands: string[] };
  remove(): void;
}

export function createSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'pirack-hostile-'));
  const bin = join(dir, 'bin');
  const home = join(dir, 'home');
  const log = join(dir, 'calls.jsonl');
  mkdirSync(bin);
  mkdirSync(home);
  for (const name of SHIMMED) {
    writeFileSync(join(bin, name), SHIM);
    chmodSync(join(bin, name), 0o755);
  }
  const env = { PATH: `${bin}:/usr/bin:/bin`, PIRACK_SHIM_LOG: log, PIRACK_SHIM_HOME: home, LC_ALL: 'C', HOME: home };
  const run = (shell: string, script: string, stdin: string | Buffer = ''): Promise<ExecResult> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(shell, ['-c', script], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout, stderr, durationMs: Date.now() - started }));
      child.stdin.end(stdin);
    });
  return {
    dir,
    canary: join(dir, 'PWNED'),
    home,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
    reset: () => rmSync(log, { force: true }),
    run,
    runner(shell) {
      const commands: string[] = [];
      return {
        commands,
        exec: (_t: SshTarget, command: string, options: ExecOptions = {}) => (
          commands.push(command),
          run(shell, command, options.stdin ?? '')
        ),
        usedBootstrap: () => false,
        forget: () => undefined,
        connectionCount: () => 0,
        close: async () => undefined,
      };
    },
    // rm(1) walks by relative names; Node's rmSync fails on paths beyond PATH_MAX.
    remove: () => execFileSync('rm', ['-rf', '--', dir]),
  };
}
