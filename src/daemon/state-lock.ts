/**
 * One daemon per rack: the daemon holds an exclusive flock(2) on `<stateDir>/daemon.lock` for as
 * long as it runs. The kernel drops the lock when the process dies, however it dies, so a crashed
 * daemon leaves nothing stale behind and a reused PID cannot pass for a live daemon (the flaw of
 * trusting a PID in daemon.json alone). The holder writes its PID into the file so that a refused
 * second daemon can name it; the PID is only believed while the lock is held. (libuv opens every
 * file close-on-exec, so a program the daemon spawns never inherits the lock.)
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import fsExt from 'fs-ext';
import { pirackError } from '../errors.ts';

export const STATE_LOCK_FILE = 'daemon.lock';

export interface StateLock {
  readonly path: string;
  /** Drops the lock (the file stays: removing it would race a daemon that is opening it). */
  release(): void;
}

function lockPath(stateDir: string): string {
  return join(stateDir, STATE_LOCK_FILE);
}

function tryFlock(fd: number): boolean {
  try {
    fsExt.flockSync(fd, 'exnb');
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
    throw err;
  }
}

function readHolderPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the state dir's lock, or throws PIRACK_ERR_DAEMON_RUNNING naming the PID that holds it.
 * Creates the state dir (0700) when missing.
 */
export function lockStateDir(stateDir: string, pid: number = process.pid): StateLock {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = lockPath(stateDir);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  if (!tryFlock(fd)) {
    closeSync(fd);
    const holder = readHolderPid(path);
    throw pirackError(
      'PIRACK_ERR_DAEMON_RUNNING',
      `another PiRack daemon${holder === undefined ? '' : ` (pid ${holder})`} holds the lock ${path}; one daemon per rack`,
      { where: stateDir },
    );
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${pid}\n`, 0);
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      // Empty the PID first, so that nobody reads it between the unlock and the close.
      ftruncateSync(fd, 0);
      fsExt.flockSync(fd, 'un');
      closeSync(fd);
    },
  };
}

/**
 * The PID of the daemon holding the state dir's lock, or undefined when none does. Probes with a
 * lock of its own on a fresh descriptor, dropped at once: safe to call from any process, the
 * holder's included (flock locks belong to the open file, not to the process).
 */
export function stateLockHolder(stateDir: string): number | undefined {
  const path = lockPath(stateDir);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    if (tryFlock(fd)) {
      fsExt.flockSync(fd, 'un');
      return undefined;
    }
    // Held: a holder that has not written its PID yet is still a holder.
    return readHolderPid(path) ?? 0;
  } finally {
    closeSync(fd);
  }
}
