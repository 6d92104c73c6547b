import { describe, expect, it } from 'vitest';
import type { WatchSpec } from '../../../src/slave/protocol.ts';
import { NodeStream, type StreamTuning } from '../../../src/stream/node-stream.ts';
import { memoryLogger } from '../ssh/fake-ssh-server.ts';
import { FakeClock, FakeTransport, HEALTH, HELLO, heartbeat, RecordingSink, flush } from './fakes.ts';

const SPEC: WatchSpec = {
  revision: 'r1',
  files: ['/etc/motd'],
  authorizedKeysUser: 'root',
  packages: ['bc'],
  units: ['pirack-slave.service'],
};
const TARGET = { node: 3, host: '10.0.0.3', port: 22 };

async function setup(tuning: Partial<StreamTuning> = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const sink = new RecordingSink();
  const logs = memoryLogger();
  const stream = new NodeStream({ target: TARGET, spec: SPEC, transport, sink, log: logs.log, clock, tuning, random: () => 0.5 });
  stream.start();
  await flush();
  return { clock, transport, sink, logs, stream };
}

async function live(tuning: Partial<StreamTuning> = {}) {
  const s = await setup(tuning);
  s.transport.last().line(HELLO);
  await flush();
  return s;
}

describe('NodeStream: opening', () => {
  it('runs the slave watch command, reports opened after hello and sends the spec', async () => {
    const { transport, sink, stream } = await setup();
    expect(transport.commands).toEqual(['exec node /usr/local/lib/pirack/pirack-slave.js watch']);
    expect(stream.state).toBe('hello');
    expect(sink.events).toEqual([]);
    transport.last().line(HELLO);
    expect(sink.events).toEqual([{ kind: 'opened', node: 3, hello: { protocol: 1, nodeVersion: 'v18.19.0', units: 'dbus' } }]);
    expect(transport.last().specs()).toEqual([{ type: 'spec', ...SPEC }]);
    expect(stream.state).toBe('live');
  });

  it('passes heartbeats and watching lines on, stamped with the clock', async () => {
    const { transport, sink, clock } = await live();
    transport.last().line({ type: 'watching', revision: 'r1', problems: [] });
    transport.last().line(heartbeat(1));
    expect(sink.of('watching')).toEqual([{ kind: 'watching', node: 3, revision: 'r1', problems: [] }]);
    expect(sink.of('heartbeat')).toEqual([{ kind: 'heartbeat', node: 3, health: HEALTH, at: clock.now() }]);
  });

  it('reassembles lines split across chunks and several lines in one chunk', async () => {
    const { transport, sink } = await live();
    const text = `${JSON.stringify(heartbeat(1))}\n${JSON.stringify(heartbeat(2))}\n`;
    transport.last().out(text.slice(0, 17));
    transport.last().out(text.slice(17));
    expect(sink.of('heartbeat')).toHaveLength(2);
  });
});

describe('NodeStream: heartbeat timeout', () => {
  it('reports lost after 4 s without a heartbeat, drops the connection, and retries about a second later', async () => {
    const { transport, sink, clock, stream } = await live();
    transport.last().line(heartbeat(1));
    await clock.advance(3_999);
    expect(sink.of('lost')).toEqual([]);
    await clock.advance(1);
    expect(sink.of('lost')).toEqual([{ kind: 'lost', node: 3, reason: 'no heartbeat for 4000 ms' }]);
    expect(transport.forgotten).toEqual([3]);
    expect(transport.channels[0]!.closedByUs).toBe(true);
    expect(stream.state).toBe('waiting');
    await clock.advance(999);
    expect(transport.channels).toHaveLength(1);
    await clock.advance(1);
    expect(transport.channels).toHaveLength(2);
    expect(transport.retried).toEqual([3, 3]);
  });

  it('counts only real heartbeats: garbage every second does not keep the Pi alive', async () => {
    const { transport, sink, clock } = await live();
    for (let i = 0; i < 5; i++) {
      transport.last().out('{"type":"heartbeat","seq":"x"}\n');
      await clock.advance(1_000);
    }
    expect(sink.of('heartbeat')).toEqual([]);
    expect(sink.of('lost')).toHaveLength(1);
  });

  it('is honoured with a tuned timeout', async () => {
    const { sink, clock } = await live({ heartbeatTimeoutMs: 10_000 });
    await clock.advance(9_000);
    expect(sink.of('lost')).toEqual([]);
    await clock.advance(1_000);
    expect(sink.of('lost')).toHaveLength(1);
  });
});

describe('NodeStream: garbage and oversized lines', () => {
  it('drops garbage with one log line, never marks the Pi opened, and keeps the stream', async () => {
    const { transport, sink, logs, stream } = await setup();
    const ch = transport.last();
    for (let i = 0; i < 100; i++) ch.out('\u0000\u00ffnot json at all\n');
    ch.out('{"type":"heartbeat","seq":1,"health":{}}\n');
    ch.out('[1,2,3]\n');
    expect(sink.events).toEqual([]);
    expect(stream.state).toBe('hello');
    const warnings = logs.lines().filter((l) => l.msg === 'dropped a line from the watch stream that is not the protocol');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ node: 3, why: expect.stringContaining('not JSON') });
    ch.line(HELLO);
    ch.line(heartbeat(1));
    expect(sink.kinds()).toEqual(['opened', 'heartbeat']);
  });

  it('drops a line over the cap without buffering it, then reads the next line', async () => {
    const { transport, sink, logs } = await live();
    const ch = transport.last();
    const huge = Buffer.alloc(200 * 1024, 'x');
    ch.out(huge.subarray(0, 100 * 1024));
    ch.out(huge.subarray(100 * 1024));
    ch.out(`\n${JSON.stringify(heartbeat(7))}\n`);
    expect(sink.of('heartbeat').map((e) => e.health)).toEqual([HEALTH]);
    expect(logs.text()).toContain('a line over 65536 bytes (204800 bytes)');
  });

  it('refuses a heartbeat with an impossible CPU figure', async () => {
    const { transport, sink } = await live();
    transport.last().line(heartbeat(1, { ...HEALTH, cpuPercent: 250 }));
    expect(sink.of('heartbeat')).toEqual([]);
  });
});

describe('NodeStream: change notices', () => {
  it('folds a flood (1,000 notices in a burst) into a bounded number of sink calls, keeping the count', async () => {
    const { transport, sink, clock } = await live();
    const flood = Array.from({ length: 1_000 }, () => JSON.stringify({ type: 'change', what: 'file', detail: '/etc/motd', count: 1 })).join(
      '\n',
    );
    transport.last().out(`${flood}\n`);
    expect(sink.of('change')).toEqual([{ kind: 'change', node: 3, notice: { what: 'file', detail: '/etc/motd', count: 1 } }]);
    await clock.advance(250);
    expect(sink.of('change').map((e) => e.notice.count)).toEqual([1, 999]);
    await clock.advance(1_000);
    expect(sink.of('change')).toHaveLength(2);
  });

  it('keeps different things apart', async () => {
    const { transport, sink } = await live();
    transport.last().line({ type: 'change', what: 'unit', detail: 'a.service', count: 1 });
    transport.last().line({ type: 'change', what: 'packages', detail: 'dpkg-status', count: 3 });
    expect(sink.of('change').map((e) => e.notice)).toEqual([
      { what: 'unit', detail: 'a.service', count: 1 },
      { what: 'packages', detail: 'dpkg-status', count: 3 },
    ]);
  });

  it('ignores notices before hello', async () => {
    const { transport, sink } = await setup();
    transport.last().line({ type: 'change', what: 'file', detail: '/etc/motd', count: 1 });
    expect(sink.events).toEqual([]);
  });
});

describe('NodeStream: Pis that cannot stream', () => {
  it('reports an old slave without watch as unsupported and asks again a minute later', async () => {
    const { transport, sink, clock } = await setup();
    transport.last().exit(2, 'pirack-slave: unknown command "watch"; use serve, cpu, temperature or health');
    await flush();
    expect(sink.events).toEqual([{ kind: 'unsupported', node: 3, reason: expect.stringContaining('no watch command (an older slave)') }]);
    await clock.advance(59_000);
    expect(transport.channels).toHaveLength(1);
    await clock.advance(1_000);
    expect(transport.channels).toHaveLength(2);
  });

  it('reports a missing Node.js', async () => {
    const { transport, sink } = await setup();
    transport.last().exit(127, 'sh: 1: exec: node: not found');
    await flush();
    expect(sink.of('unsupported')[0]!.reason).toBe('Node.js is missing on the Pi (sh: 1: exec: node: not found)');
  });

  it('reports a slave that is not installed yet', async () => {
    const { transport, sink } = await setup();
    transport.last().exit(1, "Error: Cannot find module '/usr/local/lib/pirack/pirack-slave.js'");
    await flush();
    expect(sink.of('unsupported')[0]!.reason).toBe('pirack-slave is not installed at /usr/local/lib/pirack/pirack-slave.js yet');
  });

  it('reports a protocol it does not speak, and closes the channel', async () => {
    const { transport, sink } = await setup();
    transport.last().line({ ...HELLO, protocol: 2 });
    await flush();
    expect(sink.kinds()).toEqual(['unsupported']);
    expect(sink.of('unsupported')[0]!.reason).toContain('protocol 2');
    expect(transport.last().closedByUs).toBe(true);
  });

  it('reports a channel that never says hello', async () => {
    const { sink, clock } = await setup();
    await clock.advance(15_000);
    expect(sink.of('unsupported')[0]!.reason).toContain('no hello within 15000 ms');
  });

  it('asks again at once when a new revision arrives', async () => {
    const { transport, stream } = await setup();
    transport.last().exit(2, 'pirack-slave: unknown command "watch"');
    await flush();
    stream.update({ ...SPEC, revision: 'r2' });
    await flush();
    expect(transport.channels).toHaveLength(2);
  });
});

describe('NodeStream: reconnecting', () => {
  it('reports a stream that ends as lost and retries on a short capped schedule, lifting the pool backoff each time', async () => {
    const { transport, sink, clock } = await live();
    const down = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'PIRACK_ERR_SSH_UNREACHABLE' });
    transport.failures = [down(), down(), down(), down()];
    transport.last().drop();
    await flush();
    expect(sink.of('lost')).toEqual([{ kind: 'lost', node: 3, reason: 'the watch stream ended (the channel or its connection closed)' }]);
    const times: number[] = [];
    const start = clock.now();
    for (let i = 0; i < 5; i++) {
      const before = transport.commands.length;
      while (transport.commands.length === before) await clock.advance(100);
      times.push(clock.now() - start);
    }
    // 1 s, then 1 s (first failure), 2 s, 3 s, 3 s: never longer than the cap.
    expect(times.map((t, i) => t - (times[i - 1] ?? 0))).toEqual([1_000, 1_000, 2_000, 3_000, 3_000]);
    expect(transport.retried.length).toBe(transport.commands.length);
    transport.last().line(HELLO);
    expect(sink.kinds().filter((k) => k === 'opened')).toHaveLength(2);
  });

  it('retries at once when poked (a lease or an answering port says the Pi is back)', async () => {
    const { transport, clock, stream } = await live();
    transport.last().drop();
    await flush();
    await clock.advance(100);
    stream.poke();
    expect(transport.channels).toHaveLength(2);
    // Poking a stream that is open or opening does nothing.
    stream.poke();
    expect(transport.channels).toHaveLength(2);
  });

  it('does not report lost for a connection that closes before hello (never live), but retries', async () => {
    const { transport, sink, clock } = await setup();
    transport.last().drop();
    await flush();
    expect(sink.events).toEqual([]);
    await clock.advance(1_000);
    expect(transport.channels).toHaveLength(2);
  });

  it('sends a new spec to a live slave, and nothing for the same one', async () => {
    const { transport, stream } = await live();
    stream.update(SPEC);
    stream.update({ ...SPEC, revision: 'r2', files: ['/etc/motd', '/etc/issue'] });
    expect(
      transport
        .last()
        .specs()
        .map((s) => s.revision),
    ).toEqual(['r1', 'r2']);
  });

  it('reopens on a new address', async () => {
    const { transport, sink, stream } = await live();
    stream.update(SPEC, { ...TARGET, host: '10.0.0.33' });
    await flush();
    expect(sink.of('lost')[0]!.reason).toBe('the Pi has a new address');
    expect(transport.channels).toHaveLength(2);
  });

  it('after stop, ignores everything and opens nothing', async () => {
    const { transport, sink, clock, stream } = await setup();
    const ch = transport.last();
    stream.stop();
    ch.line(HELLO);
    await clock.advance(120_000);
    expect(sink.events).toEqual([]);
    expect(transport.channels).toHaveLength(1);
    expect(ch.closedByUs).toBe(true);
  });
});
