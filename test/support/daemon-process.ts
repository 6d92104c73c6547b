/**
 * `pirack daemon` as a child process, the way a user runs it, for the e2e tests that drive its
 * HTTP server (the dashboard in Chromium): an admin token file, a free port on loopback, its log
 * in a file for a failed wait's context, and a stop that ends it (SIGTERM, then SIGKILL) and
 * removes its temp dir.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from './wait.ts';

const BIN = fileURLToPath(new URL('../../src/cli/pirack.mjs', import.meta.url));

export interface DaemonProcess {
  /** `http://127.0.0.1:PORT/` */
  readonly base: string;
  /** The last lines of the daemon's log. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** Starts `pirack daemon <args> --listen … --admin-token-file …` and waits for /healthz. */
export async function startDaemonProcess(args: readonly string[], token: string): Promise<DaemonProcess> {
  const work = mkdtempSync(join(tmpdir(), 'pirack-e2e-daemon-'));
  const tokenFile = join(work, 'admin-token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const logFile = join(work, 'daemon.log');
  const port = await freePort();
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [BIN, 'daemon', ...args, '--listen', `127.0.0.1:${port}`, '--admin-token-file', tokenFile], {
    env: { ...process.env, PIRACK_LOG_LEVEL: 'info' },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const logTail = (lines = 30): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((done) => setTimeout(() => done(false), 15_000))]);
      if (!stopped) child.kill('SIGKILL');
    }
    rmSync(work, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}/`;
  try {
    await waitUntil(
      'the daemon to answer /healthz',
      30_000,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the daemon exited early:\n${logTail(40)}`);
        return (await fetch(`${base}healthz`).then(
          (r) => r.ok,
          () => false,
        ))
          ? true
          : undefined;
      },
      { every: 250, context: () => logTail(40) },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, logTail, stop };
}
