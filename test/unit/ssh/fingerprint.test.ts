import { makeKeyPair } from './fake-ssh-server.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { keyTypeOf, sha256Fingerprint } from '../../../src/ssh/fingerprint.ts';

describe('host key fingerprints', () => {
  it('match what ssh-keygen -l prints and name the key type', () => {
    const pair = makeKeyPair();
    const blob = pair.publicKey.getPublicSSH();
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
    const fp = sha256Fingerprint(blob);
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);

    const dir = mkdtempSync(join(tmpdir(), 'pirack-fp-'));
    try {
      writeFileSync(join(dir, 'k.pub'), `ssh-ed25519 ${blob.toString('base64')}\n`);
      let keygen: string;
      try {
        keygen = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
      } catch {
        // Without OpenSSH's ssh-keygen installed, the format check above is what we can verify.
        return;
      }
      expect(keygen).toContain(fp);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not misread a truncated blob', () => {
    expect(keyTypeOf(Buffer.from([0, 0, 0]))).toBe('unknown');
    expect(keyTypeOf(Buffer.from([0, 0, 0, 20, 1, 2]))).toBe('unknown');
  });
});
