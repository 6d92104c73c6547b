import { describe, expect, it } from 'vitest';
import { liveSink, storedHealth } from '../../../src/daemon/live-wiring.ts';
import type { WorkKey } from '../../../src/reconcile/keys.ts';
import { ObservedStore } from '../../../src/reconcile/observed-store.ts';
import type { SshPool } from '../../../src/ssh/pool.ts';
import type { LiveHealth } from '../../../src/stream/index.ts';
import { convergedFacts } from '../../support/fixtures.ts';

const T = 1_700_000_000_000;
const HEALTH: LiveHealth = {
  cpuPercent: 12.5,
  temperatureC: 47.2,
  memTotalKb: 1000,
  memAvailableKb: 250,
  load1: 0.5,
  load5: 0.4,
  load15: 0.3,
  uptimeSeconds: 99,
  diskFreeBytes: 5e9,
  diskTotalBytes: 8e9,
  throttled: null,
};

function setup() {
  const store = new ObservedStore();
  const queued: WorkKey[] = [];
  const retried: number[] = [];
  let now = T;
  const ssh = { retryNow: (n: number) => retried.push(n) } as unknown as SshPool;
  const sink = liveSink({ store, ssh, enqueue: (k) => queued.push(k), clock: { now: () => now } });
  return { store, queued, retried, sink, tick: (ms: number) => (now += ms) };
}

describe('the watch stream wired to the store and the queue', () => {
  it('keeps the heartbeat health the Pi can tell, with memory as a percentage, and nulls left out', () => {
    const h = storedHealth(HEALTH);
    expect(h).toMatchObject({ cpuPercent: 12.5, temperatureC: 47.2, memUsedPercent: 75, diskFreeBytes: 5e9 });
    expect('throttled' in h).toBe(false);
    expect('temperatureC' in storedHealth({ ...HEALTH, temperatureC: null })).toBe(false);
  });

  it('a heartbeat makes a Pi reachable without a pass; a lost stream makes it unreachable without one', () => {
    const { store, queued, sink, tick } = setup();
    store.recordProbe(1, convergedFacts(), T);
    sink.heartbeat(1, HEALTH, T + 1000);
    expect(store.node(1)).toMatchObject({ reachable: true, heartbeatAt: T + 1000, stream: 'open', health: { cpuPercent: 12.5 } });
    expect(queued).toEqual([]);
    tick(5000);
    sink.lost(1, 'no heartbeat for 4 s');
    expect(store.node(1)).toMatchObject({ reachable: false, stream: 'lost', error: { code: 'PIRACK_ERR_STREAM_LOST' } });
    expect(store.node(1)?.health).toBeUndefined();
    expect(queued).toEqual([]);
  });

  it('a Pi the stream finds gone is one "lost" transition of the store (node-lost and its alert follow it)', () => {
    const { store, sink } = setup();
    const said: boolean[] = [];
    store.subscribe((c) => c.scope === 'node' && c.what === 'reachability' && said.push(c.reachable));
    store.recordProbe(1, convergedFacts(), T);
    sink.lost(1, 'no heartbeat for 4 s');
    sink.lost(1, 'closed');
    sink.heartbeat(1, HEALTH, T + 9000);
    expect(said).toEqual([false, true]);
  });

  it('a Pi heard again after a loss is queued at once, and an opened stream lifts the connect backoff', () => {
    const { store, queued, retried, sink } = setup();
    store.recordProbe(2, convergedFacts(), T);
    sink.lost(2, 'closed');
    sink.heartbeat(2, HEALTH, T + 9000);
    expect(queued).toEqual(['pi:2']);
    sink.opened(2, { protocol: 1, nodeVersion: 'v18.19.0', units: 'dbus' });
    expect(retried).toEqual([2]);
    expect(queued).toEqual(['pi:2', 'pi:2']);
  });

  it('a change notice is recorded for the loop (which queues the Pi); unsupported says why the Pi is polled', () => {
    const { store, sink } = setup();
    const notices: number[] = [];
    store.subscribe((c) => {
      if (c.scope === 'node' && c.what === 'change-notice') notices.push(c.id);
    });
    sink.change(3, { what: 'file', detail: '/etc/motd', count: 4 });
    expect(notices).toEqual([3]);
    sink.unsupported(3, 'the slave has no watch command (old slave)');
    expect(store.node(3)).toMatchObject({ stream: 'unsupported', streamNote: 'the slave has no watch command (old slave)' });
    sink.heartbeat(3, HEALTH, T);
    expect(store.node(3)?.streamNote).toBeUndefined();
  });

  it('a Pi of a stack meant to be off is not reported lost', () => {
    const { store, sink } = setup();
    store.recordPoweredOff(4, 'rack.yaml');
    sink.lost(4, 'closed');
    expect(store.node(4)?.stream).toBeUndefined();
    expect(store.node(4)?.poweredOff).toEqual({ by: 'rack.yaml' });
  });
});
