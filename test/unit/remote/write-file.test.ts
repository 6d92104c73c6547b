import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { atomicWriteScript } from '../../../src/remote/write-file.ts';
import { sha } from '../../support/fixtures.ts';
import { localRunner } from '../../support/local-runner.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const target = { node: 1, host: 'localhost', port: 22 };

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pirack-write-'));
  dirs.push(dir);
  return dir;
}

describe('atomicWriteScript (run by a real /bin/sh)', () => {
  it('writes content with mode, creating the parent directory, and leaves no temporary file', async () => {
    const dir = tempDir();
    const path = join(dir, 'sub dir', "it's.conf");
    const content = 'line 1\n$(rm -rf /) stays literal\n';
    const result = await localRunner().exec(
      target,
      atomicWriteScript({ path, sha256: sha(content), owner: 'root', group: 'root', mode: '0640' }),
      { stdin: content },
    );
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect((statSync(path).mode & 0o777).toString(8)).toBe('640');
    expect(readdirSync(join(dir, 'sub dir'))).toEqual(["it's.conf"]);
  });

  it('leaves the old file untouched when the content arrives incomplete', async () => {
    const dir = tempDir();
    const path = join(dir, 'f');
    writeFileSync(path, 'old\n');
    const full = 'new content\n';
    const result = await localRunner().exec(
      target,
      atomicWriteScript({ path, sha256: sha(full), owner: 'root', group: 'root', mode: '0644' }),
      { stdin: 'new con' },
    );
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/checksum mismatch/);
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['f']);
  });
});
