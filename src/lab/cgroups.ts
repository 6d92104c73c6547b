/**
 * A cgroup per Pi. Without systemd as the host's PID 1, systemd-nspawn puts each container under
 * its own cgroup's `payload`; started from one place, every Pi shares the same /payload tree, and
 * one Pi's systemd removing "its" empty unit cgroups makes another's units fail at random
 * ("Failed to attach to cgroup … 219/CGROUP"). Starting each nspawn in its own cgroup
 * (pirack-lab/pi<id>) in the named systemd and the unified hierarchies keeps the Pis apart.
 */
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Hierarchies the container's systemd uses on this kind of host (hybrid cgroup v1/v2). */
export const CGROUP_HIERARCHIES: readonly string[] = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'];
export const CGROUP_GROUP = 'pirack-lab';

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Creates (if needed) and returns the Pi's cgroup directories, one per hierarchy present. */
export async function piCgroups(id: number, hierarchies: readonly string[] = CGROUP_HIERARCHIES): Promise<string[]> {
  const dirs: string[] = [];
  for (const h of hierarchies) {
    if (!(await isDir(h))) continue;
    const dir = path.join(h, CGROUP_GROUP, `pi${id}`);
    await mkdir(dir, { recursive: true });
    dirs.push(dir);
  }
  return dirs;
}

/**
 * The argv that moves the shell into `cgroups` and then execs the command, so the PID recorded
 * for the shell is the command's own.
 */
export function inCgroupsArgv(cgroups: readonly string[], file: string, args: readonly string[]): string[] {
  const script = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs"; shift; n=$((n-1)); done; exec "$@"';
  return ['-c', script, 'sh', String(cgroups.length), ...cgroups, file, ...args];
}

async function removeTree(dir: string): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) removed += await removeTree(path.join(dir, entry.name));
  }
  // Only empty cgroups can be removed; a busy one is left for the next `lab down`.
  if (
    await rmdir(dir).then(
      () => true,
      () => false,
    )
  )
    removed++;
  return removed;
}

/** Removes the lab's cgroup trees (after its processes are gone); returns how many were removed. */
export async function removeLabCgroups(hierarchies: readonly string[] = CGROUP_HIERARCHIES): Promise<number> {
  let removed = 0;
  for (const h of hierarchies) removed += await removeTree(path.join(h, CGROUP_GROUP)).catch(() => 0);
  return removed;
}
