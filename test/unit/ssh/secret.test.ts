import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readSecretFile, Secret } from '../../../src/ssh/secret.ts';

describe('Secret', () => {
  const secret = new Secret('s3cr3t-value');

  it('reveals the value only when asked', () => {
    expect(secret.reveal()).toBe('s3cr3t-value');
  });

  it('prints as [redacted] through JSON, inspect and string conversion', () => {
    expect(JSON.stringify({ password: secret })).toBe('{"password":"[redacted]"}');
    expect(inspect({ password: secret }, { depth: 5, showHidden: true })).not.toContain('s3cr3t');
    expect(`${secret}`).toBe('[redacted]');
    expect(String(secret)).toBe('[redacted]');
    expect(Object.keys(secret)).toEqual([]);
  });
});

describe('readSecretFile', () => {
  it('reads the first line without its newline, and names only the file on errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pirack-secret-'));
    try {
      await writeFile(join(dir, 'pw'), 'raspberry\n');
      expect((await readSecretFile(join(dir, 'pw'))).reveal()).toBe('raspberry');
      await writeFile(join(dir, 'empty'), '\n');
      await expect(readSecretFile(join(dir, 'empty'))).rejects.toMatchObject({ code: 'PIRACK_ERR_CONFIG_READ', where: join(dir, 'empty') });
      const missing = await readSecretFile(join(dir, 'missing')).catch((e: unknown) => e);
      expect(missing).toMatchObject({ code: 'PIRACK_ERR_CONFIG_READ', message: expect.stringContaining('ENOENT') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
