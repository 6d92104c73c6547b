import { Client, type ConnectConfig } from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/ssh/secret.ts';
import { closedPort, silentServer, startFakeServer, type FakeServer } from './fake-ssh-server.ts';
import { poolFixture, target, type PoolFixture } from './pool-helpers.ts';

let fx: PoolFixture;
const servers: Array<{ close(): Promise<void> }> = [];

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

describe('connecting', () => {
  it('fails fast with SSH_UNREACHABLE on a closed port', async () => {
    const port = await closedPort();
    const pool = fx.pool();
    const started = Date.now();
    const err = await pool.exec(target(port, 7), 'true').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PIRACK_ERR_SSH_UNREACHABLE', where: 'pi 7 (127.0.0.1)', transient: true });
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(pool.connectionCount()).toBe(0);
  });

  it('bounds the handshake: a server that never speaks is SSH_UNREACHABLE after connectTimeoutMs', async () => {
    const silent = await silentServer();
    servers.push(silent);
    const pool = fx.pool({ connectTimeoutMs: 300 });
    const started = Date.now();
    const err = await pool.exec(target(silent.port), 'true').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PIRACK_ERR_SSH_UNREACHABLE' });
    expect((err as Error).message).toContain('no SSH handshake within 300 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports SSH_AUTH when the key is refused and there is no bootstrap password', async () => {
    const s = await server({ authorizedKeys: [] });
    const pool = fx.pool();
    await expect(pool.exec(target(s.port), 'true')).rejects.toMatchObject({ code: 'PIRACK_ERR_SSH_AUTH', where: 'pi 1 (127.0.0.1)' });
    expect(s.authCalls.map((c) => c.method)).toEqual(['publickey']);
  });

  it('spaces reconnect attempts with capped exponential backoff and resets it on success', async () => {
    const s = await server({ authorizedKeys: [fx.clientKey.publicKey] });
    const deadPort = await closedPort();
    let clock = 1_000_000;
    let reachable = false;
    let attempts = 0;
    const connect = (config: ConnectConfig): Client => {
      attempts += 1;
      return new Client().connect({ ...config, port: reachable ? s.port : deadPort });
    };
    const pool = fx.pool({
      now: () => clock,
      connect,
      reconnectBackoff: { baseMs: 500, maxMs: 1_500 },
      random: () => 1 /* the jitter's upper bound: exact delays */,
    });
    const t = target(s.port, 3);

    await expect(pool.exec(t, 'true')).rejects.toMatchObject({ code: 'PIRACK_ERR_SSH_UNREACHABLE' });
    expect(attempts).toBe(1);
    expect(pool.backoffState(3)).toEqual({ failures: 1, nextAttemptAt: clock + 500 });

    // Inside the backoff window: fails at once, saying when, without touching the network.
    clock += 499;
    const early = await pool.exec(t, 'true').catch((e: unknown) => e);
    expect(early).toMatchObject({ code: 'PIRACK_ERR_SSH_UNREACHABLE' });
    expect((early as Error).message).toContain(`not retrying before ${new Date(1_000_000 + 500).toISOString()}`);
    expect(attempts).toBe(1);

    clock += 1;
    await expect(pool.exec(t, 'true')).rejects.toMatchObject({ code: 'PIRACK_ERR_SSH_UNREACHABLE' });
    expect(attempts).toBe(2);
    expect(pool.backoffState(3)?.nextAttemptAt).toBe(clock + 1_000);

    clock += 1_000;
    await expect(pool.exec(t, 'true')).rejects.toMatchObject({ code: 'PIRACK_ERR_SSH_UNREACHABLE' });
    expect(attempts).toBe(3);
    // Capped: 2000 would be next, the cap is 1500.
    expect(pool.backoffState(3)?.nextAttemptAt).toBe(clock + 1_500);

    clock += 1_500;
    reachable = true;
    expect((await pool.exec(t, 'echo up')).stdout).toBe('up\n');
    expect(attempts).toBe(4);
    expect(pool.backoffState(3)).toBeUndefined();
  });
});

describe('bootstrap password', () => {
  it('logs in with the password in the same connection when the key is refused', async () => {
    const password = 'raspberry-Secret-42';
    const s = await server({ authorizedKeys: [], password });
    const pool = fx.pool({ bootstrap: { user: 'root', password: new Secret(password) } });
    expect((await pool.exec(target(s.port), 'echo hi')).stdout).toBe('hi\n');
    expect(pool.usedBootstrap(1)).toBe(true);
    expect(s.connections).toBe(1);
    expect(s.authCalls.map((c) => c.method)).toEqual(['publickey', 'password']);

    // The keys controller installs the key, then the connection is forgotten: next login uses the key.
    s.authorizedKeys.push(fx.clientKey.publicKey);
    pool.forget(1);
    expect(pool.usedBootstrap(1)).toBe(false);
    await pool.exec(target(s.port), 'true');
    expect(pool.usedBootstrap(1)).toBe(false);
    // ssh2 asks whether the key is acceptable, then sends the signed request: two publickey calls.
    expect(new Set(s.authCalls.filter((c) => c.connection === 2).map((c) => c.method))).toEqual(new Set(['publickey']));
  });

  it('uses a second connection for a bootstrap user other than the key user', async () => {
    const password = 'pw-for-pi';
    const s = await server({ authorizedKeys: [], password });
    const pool = fx.pool({ user: 'pirack', bootstrap: { user: 'root', password: new Secret(password) } });
    await pool.exec(target(s.port), 'true');
    expect(pool.usedBootstrap(1)).toBe(true);
    expect(s.authCalls.map((c) => [c.connection, c.method, c.username])).toEqual([
      [1, 'publickey', 'pirack'],
      [2, 'password', 'root'],
    ]);
  });

  it('never writes the password to the logs, on success or on failure', async () => {
    const password = 'hunter2-NEVER-LOG-ME';
    const good = await server({ authorizedKeys: [], password });
    const bad = await server({ authorizedKeys: [], password: 'something-else' });
    const secret = new Secret(password);
    const pool = fx.pool({ bootstrap: { user: 'root', password: secret } });
    await pool.exec(target(good.port, 1), 'true');
    await expect(pool.exec(target(bad.port, 2), 'true')).rejects.toMatchObject({ code: 'PIRACK_ERR_SSH_AUTH' });
    // A careless caller logging the credentials object gets the redaction too.
    fx.logs.log.info({ bootstrap: { user: 'root', password: secret } }, 'credentials loaded');

    const text = fx.logs.text();
    expect(fx.logs.lines().some((l) => l.msg === 'connected' && l.auth === 'bootstrap-password')).toBe(true);
    expect(fx.logs.lines().some((l) => l.msg === 'connect failed')).toBe(true);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(password);
    expect(text).not.toContain('NEVER-LOG-ME');
  });
});
