/** A whole rack for the reconciler's unit tests: fake clock, relay, DHCP and Pis, the real controllers. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { byScope, controllers as allControllers } from '../../../controllers/index.ts';
import { pirackError, type ErrorCode } from '../../../src/errors.ts';
import type { RackSpec } from '../../../src/model/desired.ts';
import type { DhcpContext, RackEventInput } from '../../../src/reconcile/controller.ts';
import { ObservedStore } from '../../../src/reconcile/observed-store.ts';
import { Reconciler, type LoopMemory, type ReconcilerDeps } from '../../../src/reconcile/reconciler.ts';
import { createStagger } from '../../../src/relay/stagger.ts';
import type { ExecResult, SshRunner, SshTarget } from '../../../src/ssh/types.ts';
import { fakeClock, type FakeClock } from '../../support/fake-clock.ts';
import { FakeRelay } from '../relay/fake-relay.ts';
import type { Lease } from '../../../src/dhcp/leases.ts';

const SYSTEM = ['@@pirack:system', 'hostname pi', 'uptime 10', 'load 0.1', 'memtotal 1000', 'memavail 500', 'cpu 10 100', 'now 1700000000'];

/** Pis answering the probe of a rack whose Pis declare nothing to converge (keys: none, exclusive off). */
export class FakePis implements SshRunner {
  readonly probes: number[] = [];
  /** Pis whose next look fails with this code. */
  readonly failing = new Map<number, ErrorCode>();
  /** Pis whose exec never returns until aborted. */
  readonly hanging = new Set<number>();

  async exec(target: SshTarget, _command: string, options?: { signal?: AbortSignal }): Promise<ExecResult> {
    this.probes.push(target.node);
    if (this.hanging.has(target.node)) {
      await new Promise((_, reject) =>
        options?.signal?.addEventListener(
          'abort',
          () => reject(pirackError('PIRACK_ERR_ABORTED', 'aborted', { cause: options.signal?.reason })),
          { once: true },
        ),
      );
    }
    const code = this.failing.get(target.node);
    if (code) throw pirackError(code, `pi ${target.node}: ${code}`, { where: `pi ${target.node}` });
    const out = [
      ...SYSTEM,
      '@@pirack:authorizedKeys',
      'dir 700 root',
      'file 600 root',
      '@@pirack:packages',
      'lists 1700000000',
      '@@pirack:files',
      '@@pirack:services',
      '@@pirack:hostname',
      '@@pirack:end',
      '',
    ].join('\n');
    return { exitCode: 0, stdout: out, stderr: '', durationMs: 1 };
  }
  usedBootstrap = () => false;
  forget = () => undefined;
  connectionCount = () => 0;
  close = async () => undefined;
}

export function fakeDhcp(): DhcpContext & { hostsWrites: number } {
  let hosts: readonly { mac: string; ip: string }[] | undefined;
  const dhcp = {
    hostsWrites: 0,
    writeHosts: async (entries: readonly { mac: string; ip: string }[]) => {
      dhcp.hostsWrites++;
      hosts = entries.map(({ mac, ip }) => ({ mac, ip }));
      return { changed: true, reloaded: false };
    },
    readHosts: async () => hosts,
    readLeases: async () => [] as Lease[],
    readBindings: async () => ({}),
    writeBindings: async () => undefined,
  };
  return dhcp as DhcpContext & { hostsWrites: number };
}

export interface Loop {
  readonly reconciler: Reconciler;
  readonly store: ObservedStore;
  readonly clock: FakeClock;
  readonly relay: FakeRelay;
  readonly pis: FakePis;
  readonly events: RackEventInput[];
  readonly saved: { cycles: number; attempts: number; operator: number };
  /** Calls the injected lease watcher's callback. */
  leases(leases: readonly Lease[]): void;
}

export function makeLoop(rack: RackSpec, relayLevels: Record<number, 'on' | 'off'>, extra: Partial<ReconcilerDeps> = {}): Loop {
  const clock = fakeClock(1_700_000_000_000);
  const relay = new FakeRelay(relayLevels, () => clock.now());
  const pis = new FakePis();
  const store = new ObservedStore();
  const events: RackEventInput[] = [];
  const saved = { cycles: 0, attempts: 0, operator: 0 };
  const memory: LoopMemory = {
    saveCycles: async () => void saved.cycles++,
    saveAttempts: async () => void saved.attempts++,
    saveOperator: async () => void saved.operator++,
  };
  const dhcp = fakeDhcp();
  let onLeases: ((l: readonly Lease[]) => void) | undefined;
  const reconciler = new Reconciler(rack, {
    controllers: byScope(allControllers),
    clock,
    log: pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() })),
    ssh: pis,
    io: {
      relay: () => relay,
      dhcp: () => dhcp,
      stagger: () =>
        createStagger(
          0,
          () => clock.now(),
          (ms, s) => clock.sleep(ms, s),
        ),
      isReachable: () => async () => true,
    },
    store,
    emit: (e) => events.push(e),
    memory,
    random: () => 1,
    watchLeases: (_r, cb) => {
      onLeases = cb;
      return { close: async () => undefined };
    },
    ...extra,
  });
  return { reconciler, store, clock, relay, pis, events, saved, leases: (l) => onLeases?.(l) };
}
