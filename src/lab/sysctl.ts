/**
 * Kernel limits that a few dozen systemd instances outgrow. Each booted Pi's systemd takes several
 * inotify instances; at the default of 128 per user the 20th Pi or so dies with "Failed to
 * allocate manager object: Too many open files". Root's key quota (kernel.keys.maxkeys = 200)
 * runs out similarly with one session keyring per SSH login. Only ever raised, never lowered; left
 * raised by `lab down` (they are limits, not lab resources).
 */
import { readFile, writeFile } from 'node:fs/promises';

export const LAB_SYSCTLS: Readonly<Record<string, number>> = {
  'fs/inotify/max_user_instances': 8192,
  'fs/inotify/max_user_watches': 524288,
  'kernel/keys/maxkeys': 5000,
  'kernel/keys/maxbytes': 5_000_000,
};

/** Raises each limit that is below the lab's need; returns the ones changed as `name: old → new`. */
export async function raiseSysctls(procSys = '/proc/sys'): Promise<string[]> {
  const changed: string[] = [];
  for (const [name, want] of Object.entries(LAB_SYSCTLS)) {
    const file = `${procSys}/${name}`;
    const current = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (!Number.isFinite(current) || current >= want) continue;
    await writeFile(file, String(want));
    changed.push(`${name.replaceAll('/', '.')}: ${current} → ${want}`);
  }
  return changed;
}
