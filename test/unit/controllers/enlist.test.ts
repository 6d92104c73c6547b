import { beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enlistController, enlistmentOwnedStacks, recordAttempt, stacksToEnlist, updateRound } from '../../../controllers/enlist.ts';
import type { EnlistAttempt, RackContext, RackDesired, RackEventInput, RackObserved } from '../../../src/reconcile/controller.ts';
import type { RackSpec } from '../../../src/model/desired.ts';
import type { Clock } from '../../../src/util/clock.ts';
import type { EnlistmentResult } from '../../../src/dhcp/enlistment.ts';
import type { EnlistmentProgress } from '../../../src/model/status.ts';
import { readBindings, releaseBinding, writeBindings, type Bindings } from '../../../src/dhcp/bindings.ts';
import { createStagger } from '../../../src/relay/stagger.ts';
import { FakeRelay } from '../relay/fake-relay.ts';
import { FakeLan } from '../dhcp/fake-lan.ts';
import { makeRack, virtualClock } from '../dhcp/rack-fixture.ts';

const at = '2026-01-01T00:00:00.000Z';
const mac = (n: number) => `b8:27:eb:00:00:${n.toString(16).padStart(2, '0')}`;
const bind = (ids: Record<number, number>): Bindings =>
  Object.fromEntries(Object.entries(ids).map(([id, m]) => [id, { mac: mac(m), stack: 1, boundAt: at }]));

type Attempts = Readonly<Record<number, EnlistAttempt>>;
const noAttempts: Attempts = {};

function observed(
  bindings: Bindings,
  hostsFile?: RackObserved['hostsFile'],
  active?: number,
  attempts: Attempts = noAttempts,
): RackObserved {
  return { leases: [], bindings, ...(hostsFile ? { hostsFile } : {}), attempts, round: [], ...(active !== undefined ? { active } : {}) };
}

const plan = (rack: RackDesired, obs: RackObserved, attempts: Attempts = noAttempts): ReturnType<typeof enlistController.plan> =>
  enlistController.plan(rack, { ...obs, attempts }, [], 0, rack.policies);
const withRequest = (rack: RackSpec, at: number): RackDesired => ({ ...rack, enlistRequest: { by: 'pirack enlist', at } });

describe('enlist plan', () => {
  it('static inventory (every MAC known): only writes the hosts file, and only when it differs', () => {
    const rack = makeRack([{ id: 1, pis: [{ id: 1, mac: mac(1) }, 2] }]);
    const bindings = bind({ 2: 2 });
    const actions = plan(rack, observed(bindings));
    expect(actions).toEqual([
      {
        kind: 'dhcp-hosts-write',
        entries: [
          { mac: mac(1), ip: '10.99.0.101', node: 1 },
          { mac: mac(2), ip: '10.99.0.102', node: 2 },
        ],
      },
    ]);
    const current = [
      { mac: mac(2).toUpperCase(), ip: '10.99.0.102' },
      { mac: mac(1), ip: '10.99.0.101' },
    ];
    expect(plan(rack, observed(bindings, current))).toEqual([]);
  });

  it('nothing known and no hosts file: no empty write, one enlist-stack for the first stack only', () => {
    const rack = makeRack([
      { id: 1, pis: [2, 1] },
      { id: 2, pis: [3] },
    ]);
    expect(plan(rack, observed({}))).toEqual([{ kind: 'enlist-stack', stack: 1, unbound: [1, 2], position: { index: 1, count: 2 } }]);
  });

  it('none while an enlistment runs; the next stack once the first is bound', () => {
    const rack = makeRack([
      { id: 1, pis: [1] },
      { id: 2, pis: [3] },
    ]);
    expect(plan(rack, observed({}, undefined, 1))).toEqual([]);
    const actions = plan(rack, observed(bind({ 1: 1 }), [{ mac: mac(1), ip: '10.99.0.101' }]));
    expect(actions).toEqual([{ kind: 'enlist-stack', stack: 2, unbound: [3], position: { index: 1, count: 1 } }]);
  });

  it('a short attempt is not retried at the same revision; a new revision or a newer `pirack enlist` retries it', () => {
    const rack = makeRack([{ id: 1, pis: [1, 2] }]);
    const short: EnlistmentResult = {
      stack: 1,
      bound: [{ node: 1, mac: mac(1), ip: '10.99.0.101' }],
      missing: [2],
      extra: [],
      unreachable: [],
      durationMs: 1,
    };
    const attempts = recordAttempt({}, short, rack.revision, 5);
    expect(attempts[1]).toEqual({ revision: 'rev-1', at: 5, found: 1, expected: 2, missing: [2] });
    const obs = observed(bind({ 1: 1 }), [{ mac: mac(1), ip: '10.99.0.101' }]);
    expect(plan(rack, obs, attempts)).toEqual([]);
    expect(plan(makeRack([{ id: 1, pis: [1, 2] }], { revision: 'rev-2' }), obs, attempts)).toEqual([
      { kind: 'enlist-stack', stack: 1, unbound: [2], position: { index: 1, count: 1 } },
    ]);
    // `pirack enlist` after the attempt retries it; a request older than the attempt does not.
    expect(plan(withRequest(rack, 6), obs, attempts)).toHaveLength(1);
    expect(plan(withRequest(rack, 4), obs, attempts)).toEqual([]);
    // A full attempt holds nothing back: a binding released later is enlisted again.
    const full = recordAttempt(
      {},
      { ...short, bound: [...short.bound, { node: 2, mac: mac(2), ip: '10.99.0.102' }], missing: [] },
      rack.revision,
      5,
    );
    expect(plan(rack, obs, full)).toHaveLength(1);
  });

  it('the enlistment owns the stacks waiting their turn; the round keeps k of n stable', () => {
    const rack = makeRack([
      { id: 1, pis: [1] },
      { id: 2, pis: [{ id: 2, mac: mac(2) }] },
      { id: 3, pis: [3] },
    ]);
    expect([...enlistmentOwnedStacks(rack, { bindings: {}, attempts: {} })]).toEqual([1, 3]);
    expect(stacksToEnlist(rack, { bindings: bind({ 1: 1 }), attempts: {} })).toEqual([3]);
    const round = updateRound([], rack, { bindings: {}, attempts: {} });
    expect(round).toEqual([1, 3]);
    expect(updateRound(round, rack, { bindings: bind({ 1: 1 }), attempts: {} })).toEqual([1, 3]);
    expect(updateRound(round, rack, { bindings: bind({ 1: 1, 3: 3 }), attempts: {} })).toEqual([]);
  });

  it('a released binding sends the Pi back to enlistment (replaced Pi)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pirack-enlist-'));
    try {
      const rack = makeRack([{ id: 1, pis: [1, 2] }]);
      await writeBindings(dir, bind({ 1: 1, 2: 2 }), { noSync: true });
      expect(
        plan(
          rack,
          observed(await readBindings(dir), [
            { mac: mac(1), ip: '10.99.0.101' },
            { mac: mac(2), ip: '10.99.0.102' },
          ]),
        ),
      ).toEqual([]);
      await releaseBinding(dir, 2, { noSync: true });
      const actions = plan(
        rack,
        observed(await readBindings(dir), [
          { mac: mac(1), ip: '10.99.0.101' },
          { mac: mac(2), ip: '10.99.0.102' },
        ]),
      );
      expect(actions).toEqual([
        { kind: 'dhcp-hosts-write', entries: [{ mac: mac(1), ip: '10.99.0.101', node: 1 }] },
        { kind: 'enlist-stack', stack: 1, unbound: [2], position: { index: 1, count: 1 } },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('enlist apply', () => {
  let clock: ReturnType<typeof virtualClock>;
  beforeEach(() => (clock = virtualClock()));

  function ctxFor(
    lan: FakeLan,
    relay: FakeRelay,
    rack = makeRack([
      { id: 1, pis: [1, 2] },
      { id: 2, pis: [3] },
    ]),
  ) {
    const events: RackEventInput[] = [];
    const progress: EnlistmentProgress[] = [];
    const ctx: RackContext = {
      rack,
      relay,
      dhcp: {
        writeHosts: lan.writeHosts,
        readHosts: async () => undefined,
        readLeases: lan.readLeases,
        readBindings: lan.readBindings,
        writeBindings: lan.writeBindings,
      },
      ssh: {} as RackContext['ssh'],
      clock: { now: clock.now, sleep: clock.sleep, setTimeout: () => 0, clearTimeout: () => undefined } as Clock,
      log: pino({ level: 'silent' }),
      signal: new AbortController().signal,
      now: clock.now,
      sleep: clock.sleep,
      emit: (e) => events.push(e),
      stagger: createStagger(0, clock.now, clock.sleep),
      isReachable: lan.isReachable,
      onEnlistProgress: (p) => progress.push(p),
    };
    return { ctx, events, progress };
  }

  it('runs the enlistment of a stack end to end and reports the result for memory', async () => {
    const lan = new FakeLan(
      [
        { mac: mac(1), stack: 1, bootMs: 2000 },
        { mac: mac(2), stack: 1, bootMs: 3000 },
        { mac: mac(3), stack: 2, bootMs: 1000 },
      ],
      clock.now,
    );
    const relay = new FakeRelay({ 1: 'off', 2: 'off' }, clock.now);
    relay.onSet = (s, st) => lan.power(s, st);
    const { ctx, progress } = ctxFor(lan, relay);
    const results: EnlistmentResult[] = [];
    const controller = enlistController;
    const r1 = await controller.apply({ kind: 'enlist-stack', stack: 1, unbound: [1, 2], position: { index: 1, count: 2 } }, ctx);
    expect(r1.ok).toBe(true);
    // The result is the step's outcome: the loop records it as an attempt (no side channel).
    if (r1.ok && r1.outcome?.kind === 'enlisted') results.push(r1.outcome.result);
    expect(results[0]?.bound.map((b) => `${b.node}=${b.mac}`)).toEqual([`1=${mac(1)}`, `2=${mac(2)}`]);
    expect(progress.at(-1)).toMatchObject({ stackIndex: 1, stackCount: 2, found: 2, expected: 2, active: false });
    const r2 = await controller.apply({ kind: 'enlist-stack', stack: 2, unbound: [3], position: { index: 2, count: 2 } }, ctx);
    expect(r2.ok).toBe(true);
    expect(progress.at(-1)).toMatchObject({ stackIndex: 2, stackCount: 2, stack: 2, found: 1, expected: 1 });
    expect(Object.keys(lan.bindings)).toEqual(['1', '2', '3']);
    expect(lan.hostsWrites.at(-1)).toHaveLength(3);
  });

  it('a relay failure is a failed StepResult, not a throw', async () => {
    const lan = new FakeLan([], clock.now);
    const relay = new FakeRelay({ 1: 'off', 2: 'on' }, clock.now);
    relay.failing.add(2);
    const { ctx, events } = ctxFor(lan, relay);
    const r = await enlistController.apply({ kind: 'enlist-stack', stack: 1, unbound: [1, 2], position: { index: 1, count: 2 } }, ctx);
    expect(r.ok).toBe(false);
    expect(events.at(-1)).toMatchObject({ kind: 'enlist-stack', result: 'failed' });
  });

  it('dhcp-hosts-write goes through ctx.dhcp and emits an event when it changed something', async () => {
    const lan = new FakeLan([], clock.now);
    const { ctx, events } = ctxFor(lan, new FakeRelay());
    const r = await enlistController.apply({ kind: 'dhcp-hosts-write', entries: [{ mac: mac(1), ip: '10.99.0.101', node: 1 }] }, ctx);
    expect(r.ok).toBe(true);
    expect(lan.hosts).toHaveLength(1);
    expect(events[0]?.kind).toBe('dhcp-hosts-write');
  });
});
