/**
 * What Ansible's apt module (and cdist's apt types) need of a lab Pi, done before any timed run for
 * all contenders alike.
 *
 * 1. python3-apt on the managed host. The lab's image (a Raspberry Pi OS
 * Lite stand-in) lacks it and its apt repository does not carry it, so before any timed run the
 * bench installs it on every lab Pi that lacks it, for all contenders alike. The .debs come from
 * the host's own Debian (the same release and architecture as the lab image) and travel into
 * each Pi through the lab's nsenter exec, not over the network.
 *
 * 2. An apt lists directory as old as the image. `cache_valid_time` judges the cache by the mtime
 * of /var/lib/apt/lists (there is no update-success stamp on a fresh image); on a flashed Pi that
 * is the image's build date, weeks old, but the lab's image was built minutes ago, so Ansible
 * would skip `apt-get update` and find no packages at all. Only a Pi with no package lists yet is
 * touched, back to two days ago, so it looks like the freshly flashed Pi it stands for.
 */
import { readFile, readdir, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabPort } from './lab-port.ts';
import { lastLine, type RunProcess } from './process.ts';

export const PYTHON_APT_DEBS: readonly string[] = ['python3-apt', 'python-apt-common', 'distro-info-data'];

export const HAS_PYTHON_APT = "dpkg-query -W -f='${db:Status-Abbrev}' python3-apt 2>/dev/null | grep -q '^ii'";

/** Pis (of `pis`) lacking python3-apt. */
export async function lackingPythonApt(lab: LabPort, pis: readonly number[]): Promise<number[]> {
  const checks = await Promise.all(
    pis.map(async (id) => ({ id, has: (await lab.exec(id, HAS_PYTHON_APT, { timeoutMs: 30_000 })).code === 0 })),
  );
  return checks.filter((c) => !c.has).map((c) => c.id);
}

export async function downloadDebs(run: RunProcess, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const r = await run('apt-get', ['download', ...PYTHON_APT_DEBS], { cwd: dir, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`apt-get download ${PYTHON_APT_DEBS.join(' ')} failed: ${lastLine(r.stderr)}`);
  return (await readdir(dir)).filter((f) => f.endsWith('.deb')).map((f) => join(dir, f));
}

/**
 * cdist's __package_update_index judges the same staleness by /var/cache/apt/pkgcache.bin, which
 * the image may carry from its build: it is dated back with the lists, so neither tool skips the
 * first update on a Pi that has no package lists at all.
 */
export const AGE_EMPTY_LISTS =
  "ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1 || { touch -d '2 days ago' /var/lib/apt/lists; " +
  "[ ! -f /var/cache/apt/pkgcache.bin ] || touch -d '2 days ago' /var/cache/apt/pkgcache.bin; }";

/** Both preparations on every Pi of `pis`; returns the ids python3-apt was installed on. */
export async function prepareForAnsible(lab: LabPort, pis: readonly number[], run: RunProcess, workDir: string): Promise<number[]> {
  await Promise.all(
    pis.map(async (id) => {
      const r = await lab.exec(id, AGE_EMPTY_LISTS, { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(`pi ${id}: could not age the empty apt lists: ${lastLine(r.stderr)}`);
    }),
  );
  return ensurePythonApt(lab, pis, run, workDir);
}

/** Installs python3-apt on the Pis that lack it; returns the ids it installed on. */
export async function ensurePythonApt(lab: LabPort, pis: readonly number[], run: RunProcess, workDir: string): Promise<number[]> {
  const lacking = await lackingPythonApt(lab, pis);
  if (lacking.length === 0) return [];
  const debs = await downloadDebs(run, join(workDir, 'debs'));
  const payload = await Promise.all(debs.map(async (path, i) => ({ name: `${i}.deb`, base64: (await readFile(path)).toString('base64') })));
  await Promise.all(
    lacking.map(async (id) => {
      for (const deb of payload) {
        const put = await lab.exec(id, `mkdir -p /tmp/pirack-bench && base64 -d > /tmp/pirack-bench/${deb.name}`, {
          input: deb.base64,
          timeoutMs: 60_000,
        });
        if (put.code !== 0) throw new Error(`pi ${id}: copying python3-apt in failed: ${lastLine(put.stderr)}`);
      }
      const install = await lab.exec(id, 'dpkg -i /tmp/pirack-bench/*.deb >/dev/null && rm -rf /tmp/pirack-bench', { timeoutMs: 120_000 });
      if (install.code !== 0) throw new Error(`pi ${id}: dpkg -i python3-apt failed: ${lastLine(install.stderr)}`);
    }),
  );
  return lacking;
}
