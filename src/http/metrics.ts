/**
 * Prometheus metrics for one daemon, in a registry of its own (never prom-client's global one, so
 * two servers in one process, as in tests, do not collide). Values are read from the facade at
 * scrape time: the daemon keeps the truth, the registry only translates it.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DaemonFacade } from '../daemon/facade.ts';
import type { ConditionStatus, NodeStatus } from '../model/status.ts';

const CONDITION_STATUSES: readonly ConditionStatus[] = ['True', 'False', 'Unknown'];
const POWER_STATES = ['on', 'off', 'unknown'] as const;

export interface RackMetrics {
  readonly registry: Registry;
  /** The exposition text, collected fresh from the facade. */
  render(): Promise<string>;
}

export function createRackMetrics(facade: DaemonFacade): RackMetrics {
  const registry = new Registry();
  // passCount is a running total and passDurationsMs the newest window of durations: the passes
  // since the last scrape are the last (passCount − seen) entries, so each lands in the histogram
  // once however often Prometheus scrapes.
  let passesSeen = 0;

  new Histogram({
    name: 'pirack_reconcile_pass_duration_seconds',
    help: 'Duration of reconcile passes.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
    collect() {
      const { passDurationsMs, passCount } = facade.metrics();
      // A smaller total than before means the daemon restarted: start over from here.
      if (passCount < passesSeen) passesSeen = 0;
      const fresh = Math.min(passCount - passesSeen, passDurationsMs.length);
      for (const ms of passDurationsMs.slice(passDurationsMs.length - fresh)) this.observe(ms / 1000);
      passesSeen = passCount;
    },
  });

  new Counter({
    name: 'pirack_actions_total',
    help: 'Actions carried out, by kind and result.',
    labelNames: ['kind', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, counts] of Object.entries(facade.metrics().actionsTotal)) {
        this.inc({ kind, result: 'ok' }, counts.ok);
        this.inc({ kind, result: 'failed' }, counts.failed);
      }
    },
  });

  new Gauge({
    name: 'pirack_pis',
    help: 'Pis by condition type and status.',
    labelNames: ['condition', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const node of facade.status().nodes) {
        for (const c of node.conditions) counts.set(`${c.type}\u0000${c.status}`, (counts.get(`${c.type}\u0000${c.status}`) ?? 0) + 1);
      }
      const types = new Set([...counts.keys()].map((k) => k.split('\u0000')[0] as string));
      // Zeros are written out too, so a condition that empties still shows as 0, not as missing.
      for (const type of types)
        for (const status of CONDITION_STATUSES) this.set({ condition: type, status }, counts.get(`${type}\u0000${status}`) ?? 0);
    },
  });

  new Gauge({
    name: 'pirack_pis_total',
    help: 'Pis declared in the applied rack.yaml.',
    registers: [registry],
    collect() {
      this.set(facade.status().nodes.length);
    },
  });

  new Gauge({
    name: 'pirack_ssh_connections',
    help: 'Open SSH connections to Pis.',
    registers: [registry],
    collect() {
      this.set(facade.metrics().sshConnections);
    },
  });

  new Gauge({
    name: 'pirack_stack_power',
    help: 'Relay state per stack: 1 for the current state, 0 for the others.',
    labelNames: ['stack', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of facade.status().stacks)
        for (const state of POWER_STATES) this.set({ stack: String(s.id), state }, s.power === state ? 1 : 0);
    },
  });

  new Gauge({
    name: 'pirack_rack_ready',
    help: '1 when every Pi of the rack is Ready.',
    registers: [registry],
    collect() {
      this.set(facade.status().rack.ready ? 1 : 0);
    },
  });

  new Gauge({
    name: 'pirack_rack_suspended',
    help: '1 while reconciling is suspended.',
    registers: [registry],
    collect() {
      this.set(facade.status().rack.suspended ? 1 : 0);
    },
  });

  new Gauge({
    name: 'pirack_revision_rejected',
    help: '1 when the last attempted rack.yaml revision was rejected (the last good one stays applied).',
    registers: [registry],
    collect() {
      this.set(facade.status().rack.revisionErrors.length > 0 ? 1 : 0);
    },
  });

  // Per-Pi health (the watch stream's heartbeat, else the last probe): one gauge per figure, a
  // Pi without the figure is left out rather than written as 0.
  const perPi: readonly [string, string, (n: NodeStatus) => number | undefined][] = [
    ['pirack_pi_cpu_percent', 'CPU busy per Pi, 0-100 (over the last second while it streams).', (n) => n.observed.cpuPercent],
    ['pirack_pi_temperature_celsius', 'SoC temperature per Pi.', (n) => n.observed.temperatureC],
    ['pirack_pi_memory_used_percent', 'Memory in use per Pi, 0-100.', (n) => n.observed.memUsedPercent],
    ['pirack_pi_load1', 'One-minute load average per Pi.', (n) => n.observed.load1],
    ['pirack_pi_disk_free_bytes', 'Free bytes on the root filesystem per Pi (from the stream).', (n) => n.health?.diskFreeBytes],
    ['pirack_pi_throttled', 'vcgencmd get_throttled bits per Pi, where it has vcgencmd.', (n) => n.health?.throttled],
    [
      'pirack_pi_last_heartbeat_timestamp_seconds',
      "When each Pi's watch stream last beat (the original's Lping), Unix seconds.",
      (n) => (n.health ? Date.parse(n.health.at) / 1000 : undefined),
    ],
    [
      'pirack_pi_streaming',
      '1 while the Pi streams, 0 when the stream is lost or the Pi is polled instead.',
      (n) => {
        const c = n.conditions.find((x) => x.type === 'Streaming');
        return c ? (c.status === 'True' ? 1 : 0) : undefined;
      },
    ],
  ];
  for (const [name, help, read] of perPi) {
    new Gauge({
      name,
      help,
      labelNames: ['pi'],
      registers: [registry],
      collect() {
        this.reset();
        for (const node of facade.status().nodes) {
          const value = read(node);
          if (value !== undefined && Number.isFinite(value)) this.set({ pi: String(node.id) }, value);
        }
      },
    });
  }

  return { registry, render: () => registry.metrics() };
}
