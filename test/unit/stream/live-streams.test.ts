import { describe, expect, it } from 'vitest';
import { LiveStreams } from '../../../src/stream/live-streams.ts';
import { memoryLogger } from '../ssh/fake-ssh-server.ts';
import { FakeClock, FakeTransport, HELLO, RecordingSink, flush } from './fakes.ts';

const spec = (revision: string) => ({ revision, files: ['/etc/motd'], packages: [], units: [] });
const entry = (node: number, revision = 'r1') => ({ target: { node, host: `10.0.0.${node}`, port: 22 }, spec: spec(revision) });

describe('LiveStreams', () => {
  it('starts a stream per Pi, sends new specs to known ones, and stops the ones that left', async () => {
    const transport = new FakeTransport();
    const sink = new RecordingSink();
    const streams = new LiveStreams({ transport, sink, log: memoryLogger().log, clock: new FakeClock(), random: () => 0.5 });
    streams.sync([entry(1), entry(2)]);
    await flush();
    expect(transport.channels).toHaveLength(2);
    for (const ch of transport.channels) ch.line(HELLO);
    expect(streams.liveCount()).toBe(2);
    streams.sync([entry(1, 'r2')]);
    expect(transport.channels[0]!.specs().map((s) => s.revision)).toEqual(['r1', 'r2']);
    expect(transport.channels[1]!.closedByUs).toBe(true);
    expect(streams.state(2)).toBeUndefined();
    expect(streams.liveCount()).toBe(1);
    streams.stop();
    expect(transport.channels[0]!.closedByUs).toBe(true);
    expect(streams.liveCount()).toBe(0);
  });
});
