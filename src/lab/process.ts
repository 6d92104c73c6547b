/**
 * Processes the lab starts and later kills. A PID is recorded with its start time (from
 * /proc/PID/stat) and only signalled while both still match, so a recycled PID that now belongs to
 * someone else is never killed.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';

/** A process the lab started. */
export interface RecordedPid {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot): tells a recycled PID apart. */
  readonly startTime: string;
}

export async function procStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; fields count from after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

export async function record(pid: number): Promise<RecordedPid> {
  const startTime = await procStartTime(pid);
  if (startTime === undefined) throw new Error(`process ${pid} exited before it could be recorded`);
  return { pid, startTime };
}

/** True while the recorded process runs (and is not a zombie). */
export async function isAlive(p: RecordedPid | undefined): Promise<boolean> {
  if (!p) return false;
  if ((await procStartTime(p.pid)) !== p.startTime) return false;
  try {
    const stat = await readFile(`/proc/${p.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Signals a recorded process if it is still the one recorded; returns whether it was signalled. */
export async function signalRecorded(p: RecordedPid | undefined, signal: NodeJS.Signals): Promise<boolean> {
  if (!p || !(await isAlive(p))) return false;
  try {
    process.kill(p.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) until the recorded process is gone. */
export async function waitGone(p: RecordedPid | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isAlive(p))) return true;
    await sleep(50);
  }
  return !(await isAlive(p));
}

/** TERM, then KILL after `graceMs`; bounded. */
export async function stopRecorded(p: RecordedPid | undefined, graceMs = 2000): Promise<void> {
  if (!(await signalRecorded(p, 'SIGTERM'))) return;
  if (await waitGone(p, graceMs)) return;
  await signalRecorded(p, 'SIGKILL');
  await waitGone(p, 2000);
}

/**
 * Starts a long-lived process detached from ours (own session, output to a log file) so it
 * outlives the `lab up` CLI; the caller records its PID in the lab state.
 */
export async function spawnDetached(file: string, args: readonly string[], logFile: string): Promise<RecordedPid> {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(file, [...args], { detached: true, stdio: ['ignore', fd, fd] });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${file}`);
    child.unref();
    return await record(pid);
  } finally {
    closeSync(fd);
  }
}

/** Direct children of a process, from /proc/PID/task/T/children. */
export async function childPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  try {
    for (const task of await readdir(`/proc/${pid}/task`)) {
      const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
      for (const word of text.trim().split(/\s+/)) if (word) out.push(Number(word));
    }
  } catch {
    // The process is gone: no children.
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
