/**
 * Ansible's apt module needs python3-apt on the managed host. The lab's image (a Raspberry Pi OS
 * Lite stand-in) lacks it and its apt repository does not carry it, so before any timed run the
 * bench installs it on every lab Pi that lacks it, for all contenders alike. The .debs come from
 * the host's own Debian (the same release and architecture as the lab image) and travel into
 * each Pi through the lab's nsenter exec, not over the network.
 */
import { readFile, readdir, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabPort } from './lab-port.ts';
import { lastLine, type RunProcess } from './process.ts';

export const PYTHON_APT_DEBS: readonly string[] = ['python3-apt', 'python-apt-common', 'distro-info-data'];

export const HAS_PYTHON_APT = "dpkg-query -W -f='${db:Status-Abbrev}' python3-apt 2>/dev/null | grep -q '^ii'";

/** Pis (of `pis`) lacking python3-apt. */
export async function lackingPythonApt(lab: LabPort, pis: readonly number[]): Promise<number[]> {
  const checks = await Promise.all(pis.map(async (id) => ({ id, has: (await lab.exec(id, HAS_PYTHON_APT, { timeoutMs: 30_000 })).code === 0 })));
  return checks.filter((c) => !c.has).map((c) => c.id);
}

export async function downloadDebs(run: RunProcess, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const r = await run('apt-get', ['download', ...PYTHON_APT_DEBS], { cwd: dir, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`apt-get download ${PYTHON_APT_DEBS.join(' ')} failed: ${lastLine(r.stderr)}`);
  return (await readdir(dir)).filter((f) => f.endsWith('.deb')).map((f) => join(dir, f));
}

/** Installs python3-apt on the Pis that lack it; returns the ids it installed on. */
export async function ensurePythonApt(lab: LabPort, pis: readonly number[], run: RunProcess, workDir: string): Promise<number[]> {
  const lacking = await lackingPythonApt(lab, pis);
  if (lacking.length === 0) return [];
  const debs = await downloadDebs(run, join(workDir, 'debs'));
  const payload = await Promise.all(debs.map(async (path, i) => ({ name: `${i}.deb`, base64: (await readFile(path)).toString('base64') })));
  await Promise.all(lacking.map(async (id) => {
    for (const deb of payload) {
      const put = await lab.exec(id, `mkdir -p /tmp/pirack-bench && base64 -d > /tmp/pirack-bench/${deb.name}`, { input: deb.base64, timeoutMs: 60_000 });
      if (put.code !== 0) throw new Error(`pi ${id}: copying python3-apt in failed: ${lastLine(put.stderr)}`);
    }
    const install = await lab.exec(id, 'dpkg -i /tmp/pirack-bench/*.deb >/dev/null && rm -rf /tmp/pirack-bench', { timeoutMs: 120_000 });
    if (install.code !== 0) throw new Error(`pi ${id}: dpkg -i python3-apt failed: ${lastLine(install.stderr)}`);
  }));
  return lacking;
}
