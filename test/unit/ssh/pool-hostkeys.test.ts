import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Fingerprint } from '../../../src/ssh/fingerprint.ts';
import { openHostKeyStore } from '../../../src/ssh/hostkeys.ts';
import { makeKeyPair, startFakeServer, type FakeServer } from './fake-ssh-server.ts';
import { Secret } from '../../../src/ssh/secret.ts';
import { poolFixture, target, type PoolFixture } from './pool-helpers.ts';

let fx: PoolFixture;
const servers: FakeServer[] = [];

beforeEach(async () => {
  fx = await poolFixture();
});

afterEach(async () => {
  await fx.cleanup();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(opts: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const s = await startFakeServer(opts);
  servers.push(s);
  return s;
}

/** The fingerprint a client sees for a server using this private host key. */
function fingerprintOf(hostKey: Buffer): string {
  const key = utils.parseKey(hostKey);
  if (key instanceof Error || Array.isArray(key)) throw new Error('cannot parse host key');
  return sha256Fingerprint(key.getPublicSSH());
}

describe('host key pinning through the pool', () => {
  it('pins the first key, quarantines on a different one before any authentication, and repins', async () => {
    const password = 'bootstrap-pw';
    const genuine = await server({ authorizedKeys: [fx.clientKey.publicKey], password });
    const pool = fx.pool({ bootstrap: { user: 'root', password: new Secret(password) } });

    await pool.exec(target(genuine.port, 5), 'true');
    const pinned = fx.hostKeys.get(5);
    expect(pinned).toMatchObject({ host: '127.0.0.1', keyType: 'ssh-ed25519', fingerprint: fingerprintOf(genuine.hostKey) });
    const onDisk = JSON.parse(await readFile(join(fx.stateDir, 'known-hosts.json'), 'utf8')) as {
      nodes: Record<string, { fingerprint: string }>;
    };
    expect(onDisk.nodes['5']?.fingerprint).toBe(pinned?.fingerprint);

    // The Pi's address now answers with another host key (reinstalled, or an impostor).
    pool.forget(5);
    const impostor = await server({ authorizedKeys: [fx.clientKey.publicKey], password });
    const err = await pool.exec(target(impostor.port, 5), 'true').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PIRACK_ERR_SSH_HOSTKEY_CHANGED', transient: false, where: 'pi 5 (127.0.0.1)' });
    expect(impostor.connections).toBe(1);
    // Neither the key signature nor the password was offered to it.
    expect(impostor.authCalls).toEqual([]);
    expect(fx.hostKeys.isQuarantined(5)).toBe(true);
    expect(fx.hostKeys.get(5)?.quarantine?.fingerprint).toBe(fingerprintOf(impostor.hostKey));
    expect(fx.hostKeys.get(5)?.fingerprint).toBe(pinned?.fingerprint);

    // While quarantined, execs fail without connecting again, even to the genuine key.
    await expect(pool.exec(target(impostor.port, 5), 'true')).rejects.toMatchObject({ code: 'PIRACK_ERR_SSH_HOSTKEY_CHANGED' });
    await expect(pool.exec(target(genuine.port, 5), 'true')).rejects.toMatchObject({ code: 'PIRACK_ERR_SSH_HOSTKEY_CHANGED' });
    expect(impostor.connections).toBe(1);
    expect(genuine.connections).toBe(1);
    expect(fx.logs.lines().some((l) => l.msg?.toString().startsWith('host key changed'))).toBe(true);

    // `pirack hostkey repin 5` runs in another process: its own store over the same file.
    const cli = await openHostKeyStore({ stateDir: fx.stateDir });
    expect(await cli.repin(5)).toBe(true);

    expect((await pool.exec(target(impostor.port, 5), 'echo ok')).stdout).toBe('ok\n');
    expect(fx.hostKeys.isQuarantined(5)).toBe(false);
    expect(fx.hostKeys.get(5)?.fingerprint).toBe(fingerprintOf(impostor.hostKey));
  });

  it('accepts the pinned key again on reconnect', async () => {
    const hostKey = makeKeyPair().privateKey;
    const first = await server({ authorizedKeys: [fx.clientKey.publicKey], hostKey });
    const pool = fx.pool();
    await pool.exec(target(first.port, 2), 'true');
    pool.forget(2);
    await pool.exec(target(first.port, 2), 'true');
    expect(first.connections).toBe(2);
    expect(fx.hostKeys.isQuarantined(2)).toBe(false);
  });
});
