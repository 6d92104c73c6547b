/**
 * The watch stream wired into the daemon (docs/architecture.md, "The watch stream"): one stream
 * per Pi of the desired state, its sink writing the observed-state store and queueing `pi:N` on
 * the one work queue. Events decide when a Pi is looked at, never what is done: the pass that
 * follows is the same level-triggered pass the resync runs.
 */
import type { Logger } from 'pino';
import { pirackError } from '../errors.ts';
import type { RackSpec } from '../model/desired.ts';
import { piKey, type WorkKey } from '../reconcile/keys.ts';
import type { LiveHealth as StoredHealth, ObservedStore } from '../reconcile/observed-store.ts';
import { targetOf } from '../reconcile/node-pass.ts';
import type { SshPool } from '../ssh/pool.ts';
import { LiveStreams, watchSpecOf, type LiveHealth, type LiveSink, type StreamTuning } from '../stream/index.ts';

export interface LiveWiringDeps {
  readonly ssh: SshPool;
  readonly store: ObservedStore;
  readonly enqueue: (key: WorkKey) => void;
  readonly clock: { now(): number };
  readonly log: Logger;
  readonly tuning?: Partial<StreamTuning>;
}

export interface LiveWiring {
  /** Streams for every Pi of `rack` (its spec re-sent when the revision changes). */
  sync(rack: RackSpec): void;
  /** A sign the Pi is back (a lease): lift the connect backoff and retry its stream now. */
  poke(node: number): void;
  /** How many streams are live now. */
  liveCount(): number;
  stop(): void;
}

/** The heartbeat's figures as the store keeps them (null: the Pi cannot tell, so absent). */
export function storedHealth(h: LiveHealth): StoredHealth {
  const memUsedPercent = h.memTotalKb > 0 ? Math.round((1000 * (h.memTotalKb - h.memAvailableKb)) / h.memTotalKb) / 10 : undefined;
  return {
    cpuPercent: h.cpuPercent,
    ...(h.temperatureC !== null ? { temperatureC: h.temperatureC } : {}),
    ...(memUsedPercent !== undefined ? { memUsedPercent } : {}),
    memTotalKb: h.memTotalKb,
    memAvailableKb: h.memAvailableKb,
    load1: h.load1,
    load5: h.load5,
    load15: h.load15,
    uptimeSeconds: h.uptimeSeconds,
    ...(h.diskFreeBytes !== null ? { diskFreeBytes: h.diskFreeBytes } : {}),
    ...(h.diskTotalBytes !== null ? { diskTotalBytes: h.diskTotalBytes } : {}),
    ...(h.throttled !== null ? { throttled: h.throttled } : {}),
  };
}

/** The sink: every call maps onto one store write and, where the Pi needs a look, one enqueue. */
export function liveSink(deps: Omit<LiveWiringDeps, 'tuning' | 'log'>): LiveSink {
  const { store, enqueue, clock, ssh } = deps;
  return {
    opened(node) {
      // A Pi back after a loss is looked at now: enqueue cancels the key's queue backoff, and the
      // pool's connect backoff is lifted (the stream's connection proves sshd answers).
      ssh.retryNow(node);
      enqueue(piKey(node));
    },
    watching(node, _revision, problems) {
      store.recordWatchProblems(node, problems);
    },
    heartbeat(node, health, at) {
      const before = store.node(node);
      store.recordHeartbeat(node, at, storedHealth(health));
      if (before?.reachable === false && !before.poweredOff) enqueue(piKey(node));
    },
    change(node) {
      // The reconciler queues `pi:N` on this store change (the queue collapses duplicates).
      store.recordChangeNotice(node, clock.now());
    },
    lost(node, reason) {
      // A stack meant to be off: its Pis are not lost. Otherwise the store says "lost" once.
      if (store.node(node)?.poweredOff) return;
      store.recordLost(node, clock.now(), pirackError('PIRACK_ERR_STREAM_LOST', `watch stream lost: ${reason}`, { where: `pi ${node}` }));
    },
    unsupported(node, reason) {
      const before = store.node(node);
      store.recordStreamUnsupported(node, reason);
      // The exec ran, so sshd answers: a Pi marked lost by an earlier stream is looked at now.
      if (before?.reachable === false && !before.poweredOff) enqueue(piKey(node));
    },
  };
}

export function openLiveWiring(deps: LiveWiringDeps): LiveWiring {
  const streams = new LiveStreams({
    transport: deps.ssh,
    sink: liveSink(deps),
    log: deps.log,
    ...(deps.tuning ? { tuning: deps.tuning } : {}),
  });
  // A new or renewed DHCP lease may be a Pi back from a power cut: retry the streams of the Pis
  // that are not answering now (the reconciler queues their passes itself).
  let rack: RackSpec | undefined;
  const unsubscribe = deps.store.subscribe((change) => {
    // A pass on a Pi that could not stream may just have installed its slave (a fresh Pi, an
    // upgrade): ask again now rather than at the minute's retry.
    if (change.scope === 'node' && change.what === 'pass' && deps.store.node(change.id)?.stream === 'unsupported') {
      streams.poke(change.id);
      return;
    }
    if (change.scope !== 'rack' || change.what !== 'leases' || !rack) return;
    for (const node of rack.nodes) if (deps.store.node(node.id)?.reachable === false) poke(node.id);
  });
  function poke(node: number): void {
    deps.ssh.retryNow(node);
    streams.poke(node);
  }
  return {
    sync(next) {
      rack = next;
      streams.sync(next.nodes.map((node) => ({ target: targetOf(node, next.ssh.port), spec: watchSpecOf(node, next.revision) })));
    },
    poke,
    liveCount: () => streams.liveCount(),
    stop() {
      unsubscribe();
      streams.stop();
    },
  };
}
