import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { raiseSysctls } from '../../../src/lab/sysctl.ts';

describe('lab kernel limits', () => {
  it('raises limits that are too low and never lowers one', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'pirack-sysctl-'));
    try {
      await mkdir(path.join(root, 'fs/inotify'), { recursive: true });
      await mkdir(path.join(root, 'kernel/keys'), { recursive: true });
      await writeFile(path.join(root, 'fs/inotify/max_user_instances'), '128\n');
      await writeFile(path.join(root, 'fs/inotify/max_user_watches'), '9999999\n');
      await writeFile(path.join(root, 'kernel/keys/maxkeys'), '200\n');
      await writeFile(path.join(root, 'kernel/keys/maxbytes'), '20000\n');
      const changed = await raiseSysctls(root);
      expect(changed).toEqual([
        'fs.inotify.max_user_instances: 128 → 8192',
        'kernel.keys.maxkeys: 200 → 5000',
        'kernel.keys.maxbytes: 20000 → 5000000',
      ]);
      expect(await readFile(path.join(root, 'fs/inotify/max_user_watches'), 'utf8')).toBe('9999999\n');
      expect(await raiseSysctls(root)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
