/**
 * The real slave (bundled as the Pis get it) behind a real SSH server on loopback, read by the
 * real stream client through the real pool: the whole chain except the Pi, on this machine's
 * Node.js. The e2e test (test/e2e/slave-watch.test.ts) does the same against lab Pis.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleSlave } from '../../../src/slave/bundle.ts';
import { NodeStream } from '../../../src/stream/node-stream.ts';
import { startFakeServer, type FakeServer } from '../ssh/fake-ssh-server.ts';
import { poolFixture, target, type PoolFixture } from '../ssh/pool-helpers.ts';
import { RecordingSink } from './fakes.ts';

let fx: PoolFixture;
let server: FakeServer;
let dir: string;
let streams: NodeStream[] = [];

beforeEach(async () => {
  fx = await poolFixture();
  server = await startFakeServer({ authorizedKeys: [fx.clientKey.publicKey] });
  dir = await mkdtemp(join(tmpdir(), 'pirack-stream-'));
  await writeFile(join(dir, 'pirack-slave.js'), bundleSlave());
});

afterEach(async () => {
  for (const s of streams) s.stop();
  streams = [];
  await fx.cleanup();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

function open(slavePath: string, files: string[]) {
  const sink = new RecordingSink();
  const pool = fx.pool();
  const stream = new NodeStream({
    target: target(server.port, 5),
    spec: { revision: 'r1', files, packages: [], units: [] },
    transport: pool,
    sink,
    log: fx.logs.log,
    slavePath,
  });
  streams.push(stream);
  stream.start();
  return { sink, stream, pool };
}

describe('the real slave over SSH', () => {
  it('says hello, beats with live health, and reports a file edit within a second', async () => {
    const managed = join(dir, 'managed.conf');
    await writeFile(managed, 'v1\n');
    const { sink } = open(join(dir, 'pirack-slave.js'), [managed]);
    await until(() => sink.of('watching').length > 0);
    expect(sink.of('opened')[0]!.hello.protocol).toBe(1);
    expect(sink.of('watching')[0]).toMatchObject({ revision: 'r1', problems: [] });
    await until(() => sink.of('heartbeat').length >= 2, 4_000);
    const beat = sink.of('heartbeat')[1]!.health;
    expect(beat.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(beat.memTotalKb).toBeGreaterThan(0);
    expect(beat.uptimeSeconds).toBeGreaterThan(0);
    await writeFile(managed, 'v2\n');
    const ms = await until(() => sink.of('change').length > 0, 1_000);
    expect(ms).toBeLessThan(1_000);
    expect(sink.of('change')[0]!.notice).toMatchObject({ what: 'file', detail: managed });
  });

  it('folds a file rewritten a thousand times into a handful of notices', async () => {
    const managed = join(dir, 'flood.conf');
    await writeFile(managed, '0');
    const { sink } = open(join(dir, 'pirack-slave.js'), [managed]);
    await until(() => sink.of('watching').length > 0);
    const started = Date.now();
    for (let i = 0; i < 1_000; i++) writeFileSync(managed, String(i));
    const floodMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1_500));
    const changes = sink.of('change');
    expect(changes.length).toBeGreaterThan(0);
    // At most one notice per 500 ms window from the slave (plus the leading one), whatever the
    // machine's speed: a few, never a thousand.
    expect(changes.length).toBeLessThanOrEqual(2 + Math.ceil((floodMs + 1_500) / 500));
    // Every event is accounted for in the counts (the slave folds, then the client folds).
    expect(changes.reduce((n, c) => n + c.notice.count, 0)).toBeGreaterThanOrEqual(1_000);
  });

  it('reports lost when the connection drops, and opens again', async () => {
    const { sink } = open(join(dir, 'pirack-slave.js'), []);
    await until(() => sink.of('opened').length === 1);
    server.dropAll();
    await until(() => sink.of('lost').length === 1);
    await until(() => sink.of('opened').length === 2, 6_000);
  });

  it('reports an old slave without watch as unsupported', async () => {
    const old = join(dir, 'old-slave.js');
    await writeFile(
      old,
      'const [c = "serve"] = process.argv.slice(2);\nif (c !== "serve") { console.error(`pirack-slave: unknown command "${c}"; use serve, cpu, temperature or health`); process.exit(2); }\n',
    );
    const { sink } = open(old, []);
    await until(() => sink.of('unsupported').length === 1);
    expect(sink.of('unsupported')[0]!.reason).toContain('no watch command');
    expect(sink.of('opened')).toEqual([]);
  });

  it('reports a missing slave file as not installed', async () => {
    const { sink } = open(join(dir, 'nowhere.js'), []);
    await until(() => sink.of('unsupported').length === 1);
    expect(sink.of('unsupported')[0]!.reason).toContain('is not installed at');
  });
});
