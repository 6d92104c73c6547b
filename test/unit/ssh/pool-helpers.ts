/** Shared set-up for the pool tests: a temp state dir, a host key store, a pool with test-sized limits. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHostKeyStore, type HostKeyStore } from '../../../src/ssh/hostkeys.ts';
import { createSshPool, type SshPool, type SshPoolOptions } from '../../../src/ssh/pool.ts';
import { makeKeyPair, memoryLogger, type KeyPair } from './fake-ssh-server.ts';

export interface PoolFixture {
  readonly stateDir: string;
  readonly hostKeys: HostKeyStore;
  readonly clientKey: KeyPair;
  readonly logs: ReturnType<typeof memoryLogger>;
  pool(overrides?: Partial<SshPoolOptions>): SshPool;
  cleanup(): Promise<void>;
}

export async function poolFixture(): Promise<PoolFixture> {
  const stateDir = await mkdtemp(join(tmpdir(), 'pirack-ssh-'));
  const hostKeys = await openHostKeyStore({ stateDir });
  const clientKey = makeKeyPair();
  const logs = memoryLogger();
  const pools: SshPool[] = [];
  return {
    stateDir,
    hostKeys,
    clientKey,
    logs,
    pool(overrides = {}) {
      const pool = createSshPool({
        user: 'root',
        privateKey: clientKey.privateKey,
        connectTimeoutMs: 3_000,
        execTimeoutMs: 10_000,
        keepaliveIntervalMs: 15_000,
        maxSessionsPerConnection: 4,
        hostKeys,
        log: logs.log,
        ...overrides,
      });
      pools.push(pool);
      return pool;
    },
    async cleanup() {
      await Promise.all(pools.map((p) => p.close()));
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export function target(port: number, node = 1): { node: number; host: string; port: number } {
  return { node, host: '127.0.0.1', port };
}
