/** A small frozen-shape RackSpec for unit tests of the power and enlistment code. */
import type { NodeSpec, RackSpec, StackSpec } from '../../../src/model/desired.ts';

export interface FixtureStack {
  readonly id: number;
  readonly power?: 'on' | 'off';
  /** Pi ids, each optionally with a MAC pinned in rack.yaml. */
  readonly pis: readonly (number | { id: number; mac: string })[];
}

export function node(id: number, stack: number, mac?: string): NodeSpec {
  return {
    id,
    stack,
    ip: `10.99.0.${100 + id}`,
    ...(mac ? { mac } : {}),
    authorizedKeys: { user: 'root', keys: [], exclusive: false },
    packages: [],
    files: [],
    services: [],
  };
}

export function makeRack(
  stacks: readonly FixtureStack[],
  overrides: { powerCycle?: Partial<RackSpec['policies']['powerCycle']>; revision?: string; staggerMs?: number } = {},
): RackSpec {
  const specs: StackSpec[] = stacks.map((s, i) => ({
    id: s.id,
    x: 1,
    y: i + 1,
    relayPin: 18 + i,
    power: s.power ?? 'on',
    nodes: s.pis.map((p) => (typeof p === 'number' ? node(p, s.id) : node(p.id, s.id, p.mac))),
  }));
  return {
    name: 'test',
    grid: { rows: 1, cols: stacks.length },
    network: {
      subnet: '10.99.0.0/24',
      master: '10.99.0.1',
      gateway: '10.99.0.1',
      dhcp: {
        dynamicRange: ['10.99.0.200', '10.99.0.250'],
        hostsFile: '/nonexistent/hosts',
        leasesFile: '/nonexistent/leases',
        pidFile: '/nonexistent/pid',
      },
    },
    ssh: {
      user: 'root',
      port: 22,
      keyFile: '/nonexistent/key',
      connectTimeoutMs: 1000,
      execTimeoutMs: 1000,
      keepaliveIntervalMs: 1000,
      concurrency: 4,
      maxSessionsPerConnection: 4,
    },
    relay: { driver: 'lab', activeLow: true, staggerMs: overrides.staggerMs ?? 2000 },
    policies: {
      powerCycle: { enabled: true, afterUnreachableMs: 600_000, maxCyclesPerHour: 2, minOffMs: 10_000, ...overrides.powerCycle },
      aptListsMaxAgeMs: 86_400_000,
      dpkgLockTimeoutSeconds: 120,
      resyncIntervalMs: 300_000,
      backoffBaseMs: 2000,
      backoffMaxMs: 300_000,
      enlistWindowMs: 40_000,
    },
    stacks: specs,
    nodes: specs.flatMap((s) => s.nodes),
    actions: [],
    revision: overrides.revision ?? 'rev-1',
    sourcePath: '/nonexistent/rack.yaml',
  };
}

/** A virtual clock: sleeping advances time at once (no real waits in unit tests). */
export function virtualClock(start = 1_700_000_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    sleeps,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      sleeps.push(ms);
      t += ms;
      await Promise.resolve();
    },
  };
}
