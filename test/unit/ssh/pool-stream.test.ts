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

function collector(): { onStdout: (c: Buffer) => void; text(): string } {
  const chunks: Buffer[] = [];
  return { onStdout: (c) => chunks.push(c), text: () => Buffer.concat(chunks).toString('utf8') };
}

async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('openStream: the watch stream channel', () => {
  it('keeps stdin open for more lines and hands stdout on as it comes', async () => {
    const pool = fx.pool();
    const out = collector();
    const stream = await pool.openStream(target(server.port), 'cat', out);
    stream.write('one\n');
    await waitFor(() => out.text() === 'one\n');
    stream.write('two\n');
    await waitFor(() => out.text() === 'one\ntwo\n');
    stream.close();
    const end = await stream.ended;
    expect(end.reason).toBe('closed by us');
    await waitFor(() => server.openSessions === 0);
    expect(stream.write('three\n')).toBe(false);
  });

  it('is exempt from the exec timeout', async () => {
    const pool = fx.pool({ execTimeoutMs: 150 });
    const out = collector();
    const stream = await pool.openStream(target(server.port), 'sleep 0.6; echo late', out);
    const end = await stream.ended;
    expect(out.text()).toBe('late\n');
    expect(end).toMatchObject({ exitCode: 0, reason: 'exited 0' });
    // The same pool still times out an ordinary exec.
    await expect(pool.exec(target(server.port), 'sleep 5')).rejects.toMatchObject({ code: 'PIRACK_ERR_SSH_TIMEOUT' });
  });

  it('takes one seat of the session limit, and commands still run beside it', async () => {
    const pool = fx.pool({ maxSessionsPerConnection: 2 });
    const stream = await pool.openStream(target(server.port), 'cat', collector());
    const runs = Array.from({ length: 5 }, (_, i) => pool.exec(target(server.port), `sleep 0.05; echo ${i}`));
    const results = await Promise.all(runs);
    expect(results.map((r) => r.stdout.trim())).toEqual(['0', '1', '2', '3', '4']);
    // Stream + one command at a time: the limit of 2 held, and it was used.
    expect(server.maxOpenSessions).toBe(2);
    expect(server.connections).toBe(1);
    stream.close();
    await stream.ended;
  });

  it('refuses a stream when the limit would leave commands no seat', async () => {
    const pool = fx.pool({ maxSessionsPerConnection: 1 });
    await expect(pool.openStream(target(server.port), 'cat', collector())).rejects.toMatchObject({
      code: 'PIRACK_ERR_SSH_CHANNEL',
      message: expect.stringContaining('set it to 2 or more'),
    });
    expect(server.commands).toEqual([]);
  });

  it('allows one stream per connection', async () => {
    const pool = fx.pool();
    const first = await pool.openStream(target(server.port), 'cat', collector());
    await expect(pool.openStream(target(server.port), 'cat', collector())).rejects.toMatchObject({
      message: expect.stringContaining('already open'),
    });
    first.close();
    await first.ended;
    const again = await pool.openStream(target(server.port), 'cat', collector());
    again.close();
    await again.ended;
  });

  it('reports a command that exits at once, with its stderr', async () => {
    const pool = fx.pool();
    const stream = await pool.openStream(target(server.port), 'echo "node: not found" >&2; exit 127', collector());
    const end = await stream.ended;
    expect(end).toMatchObject({ exitCode: 127, reason: 'exited 127', stderrTail: 'node: not found' });
  });

  it('ends when the connection is dropped, and frees the seat for the next connection', async () => {
    const pool = fx.pool();
    const stream = await pool.openStream(target(server.port), 'cat', collector());
    server.dropAll();
    const end = await stream.ended;
    expect(end.exitCode).toBeUndefined();
    expect(end.reason).toBe('the channel or its connection closed');
    await waitFor(() => pool.connectionCount() === 0);
    const again = await pool.openStream(target(server.port), 'cat', collector());
    again.close();
    await again.ended;
    expect(server.connections).toBe(2);
  });

  it('closes the channel when its AbortSignal fires', async () => {
    const pool = fx.pool();
    const ac = new AbortController();
    const stream = await pool.openStream(target(server.port), 'cat', { ...collector(), signal: ac.signal });
    ac.abort();
    expect((await stream.ended).reason).toBe('closed by us');
    await waitFor(() => server.openSessions === 0);
  });
});
