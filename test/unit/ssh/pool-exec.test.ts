import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeServer, type FakeServer } from './fake-ssh-server.ts';
import { poolFixture, target, type PoolFixture } from './pool-helpers.ts';

let fx: PoolFixture;
let server: FakeServer;

beforeEach(async () => {
  fx = await poolFixture();
  server = await startFakeServer({ authorizedKeys: [fx.clientKey.publicKey] });
});

afterEach(async () => {
  await fx.cleanup();
  await server.close();
});

describe('exec on a live connection', () => {
  it('returns stdout, stderr and the exit code', async () => {
    const pool = fx.pool();
    const res = await pool.exec(target(server.port), 'echo out; echo err >&2; exit 3');
    expect(res).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(res.durationMs).toBeGreaterThanOrEqual(0);
    const ok = await pool.exec(target(server.port), 'true');
    expect(ok.exitCode).toBe(0);
    expect(server.connections).toBe(1);
  });

  it('writes stdin to the command and closes it', async () => {
    const pool = fx.pool();
    const res = await pool.exec(target(server.port), 'cat; echo done', { stdin: 'line 1\nline 2\n' });
    expect(res.stdout).toBe('line 1\nline 2\ndone\n');
    const empty = await pool.exec(target(server.port), 'cat | wc -c');
    expect(empty.stdout.trim()).toBe('0');
  });

  it('reports death by signal as 128 + the signal number', async () => {
    const pool = fx.pool();
    const res = await pool.exec(target(server.port), 'kill -KILL $$');
    expect(res.exitCode).toBe(128 + 9);
  });

  it('never has more sessions open on one connection than the limit, and runs them all', async () => {
    const pool = fx.pool({ maxSessionsPerConnection: 4 });
    const runs = Array.from({ length: 12 }, (_, i) => pool.exec(target(server.port), `sleep 0.15; echo ${i}`));
    const results = await Promise.all(runs);
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    expect(server.maxOpenSessions).toBeLessThanOrEqual(4);
    // The limit is used, not just respected by running one at a time.
    expect(server.maxOpenSessions).toBe(4);
    // Twelve concurrent first execs shared one connect attempt.
    expect(server.connections).toBe(1);
    expect(pool.connectionCount()).toBe(1);
  });

  it('stops a command that runs past its timeout and keeps the connection usable', async () => {
    const pool = fx.pool();
    const started = Date.now();
    await expect(pool.exec(target(server.port), 'sleep 5', { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'PIRACK_ERR_SSH_TIMEOUT',
      where: 'pi 1 (127.0.0.1)',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    await waitFor(() => server.openSessions === 0);
    expect(server.signals).toContain('KILL');
    const res = await pool.exec(target(server.port), 'echo still here');
    expect(res.stdout).toBe('still here\n');
    expect(server.connections).toBe(1);
  });

  it('uses the pool exec timeout when the call gives none', async () => {
    const pool = fx.pool({ execTimeoutMs: 250 });
    await expect(pool.exec(target(server.port), 'sleep 5')).rejects.toMatchObject({ code: 'PIRACK_ERR_SSH_TIMEOUT' });
  });

  it('stops a command when its AbortSignal fires', async () => {
    const pool = fx.pool();
    const ac = new AbortController();
    const run = pool.exec(target(server.port), 'sleep 5', { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('shutdown')), 200);
    const started = Date.now();
    await expect(run).rejects.toMatchObject({ code: 'PIRACK_ERR_ABORTED' });
    expect(Date.now() - started).toBeLessThan(2_000);
    await waitFor(() => server.openSessions === 0);
  });

  it('does not connect at all for an already aborted signal', async () => {
    const pool = fx.pool();
    await expect(pool.exec(target(server.port), 'true', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'PIRACK_ERR_ABORTED',
    });
    expect(server.connections).toBe(0);
  });

  it('frees the queue slot of an exec aborted while waiting for a session', async () => {
    const pool = fx.pool({ maxSessionsPerConnection: 1 });
    const first = pool.exec(target(server.port), 'sleep 0.3; echo first');
    const ac = new AbortController();
    const queued = pool.exec(target(server.port), 'echo never', { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(queued).rejects.toMatchObject({ code: 'PIRACK_ERR_ABORTED' });
    expect((await first).stdout).toBe('first\n');
    expect((await pool.exec(target(server.port), 'echo after')).stdout).toBe('after\n');
    expect(server.commands).not.toContain('echo never');
  });

  it('reconnects after the server drops the connection', async () => {
    const pool = fx.pool();
    expect((await pool.exec(target(server.port), 'echo one')).stdout).toBe('one\n');
    server.dropAll();
    await waitFor(() => pool.connectionCount() === 0);
    expect((await pool.exec(target(server.port), 'echo two')).stdout).toBe('two\n');
    expect(server.connections).toBe(2);
  });

  it('forget drops the connection so the next exec opens a new one', async () => {
    const pool = fx.pool();
    await pool.exec(target(server.port), 'true');
    pool.forget(1);
    expect(pool.connectionCount()).toBe(0);
    await pool.exec(target(server.port), 'true');
    expect(server.connections).toBe(2);
  });

  it('refuses execs after close', async () => {
    const pool = fx.pool();
    await pool.exec(target(server.port), 'true');
    await pool.close();
    expect(pool.connectionCount()).toBe(0);
    await expect(pool.exec(target(server.port), 'true')).rejects.toMatchObject({ code: 'PIRACK_ERR_ABORTED' });
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
