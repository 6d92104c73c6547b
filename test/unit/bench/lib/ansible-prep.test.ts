import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGE_EMPTY_LISTS, HAS_PYTHON_APT, PYTHON_APT_DEBS, prepareForAnsible } from '../../../../bench/lib/ansible-prep.ts';
import type { LabPort } from '../../../../bench/lib/lab-port.ts';
import type { RunProcess } from '../../../../bench/lib/process.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function fakeLab(withPythonApt: readonly number[]) {
  const calls: { pi: number; cmd: string; input?: string }[] = [];
  const port: LabPort = {
    status: async () => ({ up: true, dir: '/lab', running: [1, 2, 3] }),
    up: async () => ({ dir: '/lab', rackYaml: '/lab/rack.yaml' }),
    down: async () => {},
    exec: async (pi, cmd, o = {}) => {
      calls.push({ pi, cmd, ...(o.input !== undefined ? { input: o.input } : {}) });
      return { code: cmd === HAS_PYTHON_APT && !withPythonApt.includes(pi) ? 1 : 0, stdout: '', stderr: '' };
    },
    rackYamlOf: (d) => d,
  };
  return { port, calls };
}

describe('prepareForAnsible', () => {
  it('ages empty apt lists everywhere and installs python3-apt only where it is missing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-prep-'));
    const downloads: string[][] = [];
    const run: RunProcess = async (file, args, o) => {
      downloads.push([file, ...args]);
      await writeFile(join(o.cwd!, 'python3-apt_1_amd64.deb'), Buffer.from([0, 1, 2, 255]));
      return { code: 0, stdout: '', stderr: '', durationMs: 1 };
    };
    const lab = fakeLab([2]);
    const installed = await prepareForAnsible(lab.port, [1, 2, 3], run, dir);
    expect(installed).toEqual([1, 3]);
    expect(downloads).toEqual([['apt-get', 'download', ...PYTHON_APT_DEBS]]);
    expect(lab.calls.filter((c) => c.cmd === AGE_EMPTY_LISTS).map((c) => c.pi)).toEqual([1, 2, 3]);
    const copies = lab.calls.filter((c) => c.cmd.includes('base64 -d'));
    expect(copies.map((c) => c.pi)).toEqual([1, 3]);
    // Binary .debs travel as base64 text and come back byte for byte.
    expect(Buffer.from(copies[0]!.input!, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(lab.calls.filter((c) => c.cmd.startsWith('dpkg -i')).map((c) => c.pi)).toEqual([1, 3]);
  });

  it('downloads nothing when every Pi has python3-apt', async () => {
    const lab = fakeLab([1, 2]);
    const run: RunProcess = async () => {
      throw new Error('must not download');
    };
    expect(await prepareForAnsible(lab.port, [1, 2], run, '/nonexistent')).toEqual([]);
  });

  it('only touches a lists directory that holds no package lists', () => {
    expect(AGE_EMPTY_LISTS).toMatch(
      /^ls \/var\/lib\/apt\/lists\/\*Packages\* >\/dev\/null 2>&1 \|\| \{ touch -d '2 days ago' \/var\/lib\/apt\/lists; /,
    );
    // cdist's staleness stamp, dated back only where it exists (touch would create it otherwise).
    expect(AGE_EMPTY_LISTS).toContain("[ ! -f /var/cache/apt/pkgcache.bin ] || touch -d '2 days ago' /var/cache/apt/pkgcache.bin; }");
  });
});
