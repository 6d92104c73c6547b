import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/state/atomic.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pirack-atomic-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates and replaces a file, leaving no temporary behind', async () => {
    const path = join(dir, 'status.json');
    await writeFileAtomic(path, '{"a":1}\n');
    expect(await readFile(path, 'utf8')).toBe('{"a":1}\n');
    await writeFileAtomic(path, Buffer.from('second'));
    expect(await readFile(path, 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['status.json']);
  });

  it('sets the exact mode despite the umask, and 0644 by default', async () => {
    const secret = join(dir, 'token');
    await writeFileAtomic(secret, 'x', { mode: 0o600 });
    expect((await stat(secret)).mode & 0o777).toBe(0o600);
    const open = join(dir, 'open');
    await writeFileAtomic(open, 'x', { mode: 0o666 });
    expect((await stat(open)).mode & 0o777).toBe(0o666);
    const plain = join(dir, 'plain');
    await writeFileAtomic(plain, 'x', { noSync: true });
    expect((await stat(plain)).mode & 0o777).toBe(0o644);
  });

  it('narrows the mode of an existing wider file on replace', async () => {
    const path = join(dir, 'authorized');
    await writeFile(path, 'old', { mode: 0o666 });
    await writeFileAtomic(path, 'new', { mode: 0o600 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe('new');
  });

  it('fails with STATE and leaves the target and directory as they were', async () => {
    const target = join(dir, 'is-a-dir');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'keep');
    await expect(writeFileAtomic(target, 'data')).rejects.toMatchObject({ code: 'PIRACK_ERR_STATE', where: target });
    expect(await readdir(dir)).toEqual(['is-a-dir']);
    expect(await readFile(join(target, 'inside'), 'utf8')).toBe('keep');
  });

  it('fails with STATE when the directory does not exist', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'f'), 'x')).rejects.toMatchObject({ code: 'PIRACK_ERR_STATE' });
  });
});
