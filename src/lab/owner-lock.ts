/**
 * One virtual rack at a time on a machine (its bridge and namespace names are global). Whoever
 * brings a lab up for a while (a test file, the demo, the benchmarks) holds this lock: a file
 * naming the holder's PID. A lock whose PID is gone is stale and taken over; a live one is waited
 * for, within a bound.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pirackError } from '../errors.ts';
import { sleep } from '../util/sleep.ts';
import { pidAlive } from '../util/pid-alive.ts';

export const LAB_LOCK = '/run/pirack-lab.lock';

function holder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface LabLock {
  release(): void;
}

export async function acquireLabLock(
  options: { path?: string; timeoutMs?: number; onWait?: (pid: number) => void } = {},
): Promise<LabLock> {
  const path = options.path ?? LAB_LOCK;
  const deadline = Date.now() + (options.timeoutMs ?? 20 * 60_000);
  mkdirSync(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    const pid = holder(path);
    if (pid !== undefined && pid !== process.pid && pidAlive(pid)) {
      if (Date.now() > deadline)
        throw pirackError('PIRACK_ERR_LAB', `another virtual rack is in use by PID ${pid} (${path}); wait for it or stop it`);
      if (!told) options.onWait?.(pid);
      told = true;
      await sleep(2000);
      continue;
    }
    try {
      if (pid !== undefined) unlinkSync(path);
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return {
        release: () => {
          if (holder(path) === process.pid) unlinkSync(path);
        },
      };
    } catch (err) {
      // Another process won the race for a stale or free lock: look again.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
