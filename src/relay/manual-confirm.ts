/**
 * Confirmations of manual power steps across processes: `pirack power confirm <stack>` drops a
 * small file in the state dir and the waiting manual driver (in the daemon or another CLI run)
 * picks it up. A file rather than a socket so it works with no daemon API reachable.
 */
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic.ts';
import type { PowerState } from '../model/desired.ts';

/** Folder of pending confirmations inside the state dir. */
export function confirmationsDir(stateDir: string): string {
  return join(stateDir, 'manual-power');
}

/** Records that the operator switched `stack` to `state` (the requested state when omitted). */
export async function writeManualConfirmation(stateDir: string, stack: number, state?: PowerState): Promise<void> {
  const dir = confirmationsDir(stateDir);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, `stack-${stack}`), `${state ?? 'any'}\n`);
}

/**
 * A `checkExternal` for the manual driver: true (and the file is consumed) when a confirmation
 * for `stack` matching `state` is present.
 */
export function fileConfirmations(stateDir: string): (stack: number, state: PowerState) => Promise<boolean> {
  return async (stack, state) => {
    const path = join(confirmationsDir(stateDir), `stack-${stack}`);
    let text: string;
    try {
      text = (await readFile(path, 'utf8')).trim();
    } catch {
      return false;
    }
    if (text !== 'any' && text !== state) return false;
    await unlink(path).catch(() => undefined);
    return true;
  };
}
