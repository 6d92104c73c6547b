import { makeKeyPair } from './fake-ssh-server.ts';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Fingerprint } from '../../../src/ssh/fingerprint.ts';
import { HOST_KEYS_FILE, openHostKeyStore } from '../../../src/ssh/hostkeys.ts';

function hostKeyBlob(): Buffer {
  return makeKeyPair().publicKey.getPublicSSH();
}

let dir: string;
const now = (): number => Date.UTC(2025, 0, 2, 3, 4, 5);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pirack-hk-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('HostKeyStore', () => {
  it('pins on first use, matches after, and persists the pin', async () => {
    const store = await openHostKeyStore({ stateDir: dir, now });
    const key = hostKeyBlob();
    const first = await store.check(3, '10.0.0.3', key);
    expect(first).toEqual({
      kind: 'pinned',
      pin: { host: '10.0.0.3', keyType: 'ssh-ed25519', fingerprint: sha256Fingerprint(key), pinnedAt: '2025-01-02T03:04:05.000Z' },
    });
    expect(await store.check(3, '10.0.0.3', key)).toEqual({ kind: 'match' });

    const file = JSON.parse(await readFile(join(dir, HOST_KEYS_FILE), 'utf8')) as unknown;
    expect(file).toEqual({
      version: 1,
      nodes: {
        '3': { host: '10.0.0.3', keyType: 'ssh-ed25519', fingerprint: sha256Fingerprint(key), pinnedAt: '2025-01-02T03:04:05.000Z' },
      },
    });
    const reopened = await openHostKeyStore({ stateDir: dir });
    expect(reopened.get(3)?.fingerprint).toBe(sha256Fingerprint(key));
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('quarantines on a different key and stays quarantined even if the pinned key comes back', async () => {
    const store = await openHostKeyStore({ stateDir: dir, now });
    const genuine = hostKeyBlob();
    const other = hostKeyBlob();
    await store.check(1, 'h', genuine);
    const verdict = await store.check(1, 'h', other);
    expect(verdict.kind).toBe('mismatch');
    expect(store.isQuarantined(1)).toBe(true);
    expect(store.get(1)?.quarantine?.fingerprint).toBe(sha256Fingerprint(other));
    expect((await store.check(1, 'h', genuine)).kind).toBe('mismatch');
    // The first evidence is kept.
    expect(store.get(1)?.quarantine?.fingerprint).toBe(sha256Fingerprint(other));
    expect((await openHostKeyStore({ stateDir: dir })).isQuarantined(1)).toBe(true);
  });

  it('repin clears pin and quarantine so the next key is pinned anew', async () => {
    const store = await openHostKeyStore({ stateDir: dir, now });
    await store.check(1, 'h', hostKeyBlob());
    const replacement = hostKeyBlob();
    await store.check(1, 'h', replacement);
    expect(await store.repin(1)).toBe(true);
    expect(await store.repin(1)).toBe(false);
    expect(store.isQuarantined(1)).toBe(false);
    expect((await store.check(1, 'h', replacement)).kind).toBe('pinned');
  });

  it("does not undo another process's repin when it writes later", async () => {
    const daemon = await openHostKeyStore({ stateDir: dir, now });
    await daemon.check(1, 'a', hostKeyBlob());
    await daemon.check(1, 'a', hostKeyBlob());
    expect(daemon.isQuarantined(1)).toBe(true);

    const cli = await openHostKeyStore({ stateDir: dir, now });
    await cli.repin(1);
    // The daemon, still holding the old quarantine in memory, pins another node.
    await daemon.check(2, 'b', hostKeyBlob());

    const fresh = await openHostKeyStore({ stateDir: dir });
    expect(fresh.get(1)).toBeUndefined();
    expect(fresh.get(2)).toBeDefined();
    expect(daemon.isQuarantined(1)).toBe(false);
  });

  it('reload picks up changes made by another process', async () => {
    const daemon = await openHostKeyStore({ stateDir: dir, now });
    const cli = await openHostKeyStore({ stateDir: dir, now });
    await cli.check(4, 'h', hostKeyBlob());
    expect(daemon.get(4)).toBeUndefined();
    await daemon.reload();
    expect(daemon.get(4)).toBeDefined();
  });

  it('refuses a corrupt file instead of trusting whatever answers next', async () => {
    await writeFile(join(dir, HOST_KEYS_FILE), '{ not json');
    await expect(openHostKeyStore({ stateDir: dir })).rejects.toMatchObject({ code: 'PIRACK_ERR_STATE', where: join(dir, HOST_KEYS_FILE) });
    await writeFile(join(dir, HOST_KEYS_FILE), JSON.stringify({ version: 1, nodes: { x: { host: 'h' } } }));
    await expect(openHostKeyStore({ stateDir: dir })).rejects.toMatchObject({ code: 'PIRACK_ERR_STATE' });
    await writeFile(join(dir, HOST_KEYS_FILE), JSON.stringify([1, 2]));
    await expect(openHostKeyStore({ stateDir: dir })).rejects.toMatchObject({ code: 'PIRACK_ERR_STATE' });
  });

  it('creates a missing state dir on first pin', async () => {
    const nested = join(dir, 'a', 'b');
    const store = await openHostKeyStore({ stateDir: nested });
    expect(store.list()).toEqual([]);
    await store.check(9, 'h', hostKeyBlob());
    expect(await readdir(nested)).toEqual([HOST_KEYS_FILE]);
  });

  it('serialises concurrent checks so no pin is lost', async () => {
    const store = await openHostKeyStore({ stateDir: dir, now });
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.check(i + 1, `h${i}`, hostKeyBlob())));
    const reopened = await openHostKeyStore({ stateDir: dir });
    expect(reopened.list().map(([id]) => id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
