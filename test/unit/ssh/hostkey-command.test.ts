import { makeKeyPair } from './fake-ssh-server.ts';
// Tests src/cli/commands/hostkey.ts; kept under test/unit/ssh/ because test/unit/cli/ is not this
// work's to create (move to test/unit/cli/commands/hostkey.test.ts when the CLI tree exists).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostkeyCommand } from '../../../src/cli/commands/hostkey.ts';
import { openHostKeyStore } from '../../../src/ssh/hostkeys.ts';

function hostKeyBlob(): Buffer {
  return makeKeyPair().publicKey.getPublicSSH();
}

let dir: string;
let output: string;

async function run(...args: string[]): Promise<string> {
  output = '';
  const cmd = hostkeyCommand({ out: (t) => void (output += t) });
  cmd.exitOverride();
  for (const sub of cmd.commands)
    sub.exitOverride().configureOutput({ writeErr: (t) => void (output += t), writeOut: (t) => void (output += t) });
  await cmd.parseAsync(args, { from: 'user' });
  return output;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pirack-hkcmd-'));
  const store = await openHostKeyStore({ stateDir: dir });
  await store.check(1, '10.0.0.1', hostKeyBlob());
  await store.check(2, '10.0.0.2', hostKeyBlob());
  await store.check(2, '10.0.0.2', hostKeyBlob());
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pirack hostkey', () => {
  it('lists pins and quarantines as a table and as JSON', async () => {
    const table = await run('list', '--state-dir', dir);
    const lines = table.trim().split('\n');
    expect(lines[0]).toMatch(/^PI\s+HOST\s+TYPE\s+FINGERPRINT\s+PINNED AT\s+STATE$/);
    expect(lines[1]).toMatch(/^1\s+10\.0\.0\.1\s+ssh-ed25519\s+SHA256:\S+\s+\S+\s+ok$/);
    expect(lines[2]).toMatch(/^2\s+10\.0\.0\.2\s+.*QUARANTINED: showed SHA256:\S+ at /);

    const json = JSON.parse(await run('list', '--state-dir', dir, '--json')) as Record<string, { quarantine?: unknown }>;
    expect(Object.keys(json)).toEqual(['1', '2']);
    expect(json['2']?.quarantine).toBeDefined();
  });

  it('repins a quarantined Pi', async () => {
    const out = await run('repin', '2', '--state-dir', dir);
    expect(out).toContain('pi 2: forgot pinned key SHA256:');
    expect(out).toContain('lifted its quarantine');
    const store = await openHostKeyStore({ stateDir: dir });
    expect(store.get(2)).toBeUndefined();
    expect(store.get(1)).toBeDefined();
  });

  it('says so when there is nothing to repin', async () => {
    expect(await run('repin', '7', '--state-dir', dir)).toContain('pi 7 has no pinned host key');
  });

  it('rejects a Pi id that is not a positive integer', async () => {
    await expect(run('repin', 'pi-2', '--state-dir', dir)).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(output).toContain('expected a Pi id');
  });

  it('says when nothing is pinned', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'pirack-hkcmd-empty-'));
    try {
      expect(await run('list', '--state-dir', empty)).toContain('No host keys pinned');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
