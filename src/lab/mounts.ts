/**
 * Mounts the lab makes (each Pi's SD card and overlay root), found from /proc/self/mountinfo so
 * cleanup works even when the state file is gone.
 */
import { readFile } from 'node:fs/promises';
import type { Exec } from './exec.ts';

/** Mount points at or under `dir`, deepest first (the order to unmount them in). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    // mountinfo escapes spaces and the like as octal.
    const point = field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point === dir || point.startsWith(prefix)) points.add(point);
  }
  return [...points].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

export async function currentMountsUnder(dir: string): Promise<string[]> {
  return mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), dir);
}

export async function isMountPoint(point: string): Promise<boolean> {
  return (await currentMountsUnder(point)).includes(point);
}

/** Unmounts everything under `dir` (a lazy unmount as last resort) and returns what was unmounted. */
export async function unmountAllUnder(exec: Exec, dir: string): Promise<string[]> {
  const done: string[] = [];
  // Stacked mounts on one point need one umount each; bounded by the number seen.
  for (let round = 0; round < 4; round++) {
    const points = await currentMountsUnder(dir);
    if (points.length === 0) break;
    for (const point of points) {
      const r = await exec('umount', [point]);
      if (r.code !== 0) await exec('umount', ['-l', point]);
      done.push(point);
    }
  }
  return done;
}

/** Loop devices whose backing file lies under `dir` (a crash between mount and umount). */
export async function detachLoopsUnder(exec: Exec, dir: string): Promise<string[]> {
  const out = await exec('losetup', ['-n', '-l', '-O', 'NAME,BACK-FILE']);
  const detached: string[] = [];
  for (const line of out.stdout.split('\n')) {
    const [dev, back] = line.trim().split(/\s+/, 2);
    if (dev && back && back.startsWith(`${dir}/`)) {
      await exec('losetup', ['-d', dev]);
      detached.push(dev);
    }
  }
  return detached;
}
