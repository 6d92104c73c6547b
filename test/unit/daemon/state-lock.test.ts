import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { lockStateDir, stateLockHolder, STATE_LOCK_FILE } from '../../../src/daemon/state-lock.ts';
import { isPiRackError } from '../../../src/errors.ts';
import { runCli } from '../../support/cli.ts';
import { waitUntil } from '../../support/wait.ts';

const STATE_LOCK_TS = fileURLToPath(new URL('../../../src/daemon/state-lock.ts', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pirack-statelock-'));
  dirs.push(d);
  return d;
};

describe('the state dir lock: one daemon per rack', () => {
  it('a second lock on the same state dir is refused, naming the PID that holds it', () => {
    const dir = tmp();
    const first = lockStateDir(dir, 4242);
    expect(readFileSync(join(dir, STATE_LOCK_FILE), 'utf8')).toBe('4242\n');
    expect(stateLockHolder(dir)).toBe(4242);
    let refused: unknown;
    try {
      lockStateDir(dir, 4343);
    } catch (err) {
      refused = err;
    }
    expect(isPiRackError(refused) && refused.code).toBe('PIRACK_ERR_DAEMON_RUNNING');
    expect((refused as Error).message).toContain('pid 4242');
    // The refused attempt did not overwrite the holder's PID.
    expect(stateLockHolder(dir)).toBe(4242);
    first.release();
    expect(stateLockHolder(dir)).toBeUndefined();
    const again = lockStateDir(dir, 4343);
    expect(stateLockHolder(dir)).toBe(4343);
    again.release();
  });

  it('a PID left in the lock file by a dead holder is not believed', () => {
    const dir = tmp();
    // What a crash leaves: the file with a PID, but no lock (the kernel dropped it).
    writeFileSync(join(dir, STATE_LOCK_FILE), `${process.pid}\n`);
    expect(stateLockHolder(dir)).toBeUndefined();
    const lock = lockStateDir(dir);
    lock.release();
  });

  it('no state dir yet: nobody holds it', () => {
    expect(stateLockHolder(join(tmp(), 'absent'))).toBeUndefined();
  });

  /** A second real process that takes the lock with the daemon's own code, and holds it until killed. */
  function holder(stateDir: string): ChildProcess {
    const code = `const { lockStateDir } = await import(${JSON.stringify(STATE_LOCK_TS)}); lockStateDir(${JSON.stringify(stateDir)}); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'ignore' });
    children.push(child);
    return child;
  }

  it(
    'two real processes: the second refuses and names the first; a SIGKILLed holder leaves no stale lock',
    { timeout: 120_000 },
    async () => {
      const stateDir = tmp();
      const first = holder(stateDir);
      await waitUntil('the first process to hold the lock', 90_000, () => (stateLockHolder(stateDir) === first.pid ? true : undefined), {
        every: 50,
      });
      expect(() => lockStateDir(stateDir)).toThrow(`(pid ${first.pid}) holds the lock`);
      const exited = new Promise((done) => first.once('exit', done));
      first.kill('SIGKILL');
      await exited;
      expect(stateLockHolder(stateDir)).toBeUndefined();
      lockStateDir(stateDir).release();
    },
  );

  it('`pirack daemon` on a state dir another process holds refuses to start, naming its PID', { timeout: 240_000 }, async () => {
    const stateDir = tmp();
    // A rack.yaml that would be rejected anyway: were the daemon to start, it would reach no Pi.
    const rack = join(stateDir, 'rack.yaml');
    writeFileSync(rack, 'version: 1\nnot: [a, rack\n');
    const first = holder(stateDir);
    await waitUntil('the first process to hold the lock', 90_000, () => (stateLockHolder(stateDir) === first.pid ? true : undefined), {
      every: 50,
    });
    const second = await runCli(['daemon', '--no-http', '--rack', rack, '--state-dir', stateDir], { timeoutMs: 200_000 });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`(pid ${first.pid}) holds the lock`);
    expect(second.stderr).toContain('PIRACK_ERR_DAEMON_RUNNING');
    expect(stateLockHolder(stateDir)).toBe(first.pid);
  });
});

describe('a CLI command that changes the rack while a daemon runs', () => {
  it('goes through the daemon when it serves an API, and is refused when it holds the state dir without one', async () => {
    const { findDaemon } = await import('../../../src/cli/daemon-client.ts');
    const dir = tmp();
    expect(await findDaemon(dir)).toBeUndefined();
    const lock = lockStateDir(dir, 777);
    try {
      let refused: unknown;
      await findDaemon(dir).catch((err: unknown) => (refused = err));
      expect(isPiRackError(refused) && refused.code).toBe('PIRACK_ERR_DAEMON_RUNNING');
      expect((refused as Error).message).toContain('pid 777');
    } finally {
      lock.release();
    }
    expect(await findDaemon(dir)).toBeUndefined();
  });
});
