import { describe, expect, it } from 'vitest';
import { assignMacs, runEnlistment, type EnlistmentOptions } from '../../../src/dhcp/enlistment.ts';
import type { EnlistmentProgress, RackEvent } from '../../../src/model/status.ts';
import type { RackSpec } from '../../../src/model/desired.ts';
import { FakeRelay } from '../relay/fake-relay.ts';
import { FakeLan, type FakePi } from './fake-lan.ts';
import { makeRack, virtualClock } from './rack-fixture.ts';

const mac = (n: number) => `b8:27:eb:00:00:${n.toString(16).padStart(2, '0')}`;

function setup(rack: RackSpec, pis: FakePi[], relayInitial: Record<number, 'on' | 'off' | 'unknown'> = {}) {
  const clock = virtualClock();
  const lan = new FakeLan(pis, clock.now);
  const relay = new FakeRelay(relayInitial, clock.now);
  relay.onSet = (s, st) => lan.power(s, st);
  for (const [s, st] of Object.entries(relayInitial)) if (st === 'on') lan.power(Number(s), 'on');
  const events: Omit<RackEvent, 'seq' | 'at'>[] = [];
  const progress: EnlistmentProgress[] = [];
  const options = (stack: number, unbound: number[], extra: Partial<EnlistmentOptions> = {}): EnlistmentOptions => ({
    rack,
    stack,
    unbound,
    position: { index: 1, count: 2 },
    relay,
    readLeases: lan.readLeases,
    readBindings: lan.readBindings,
    writeBindings: lan.writeBindings,
    writeHosts: lan.writeHosts,
    isReachable: lan.isReachable,
    now: clock.now,
    sleep: clock.sleep,
    signal: new AbortController().signal,
    windowMs: rack.policies.enlistWindowMs,
    minOffMs: rack.policies.powerCycle.minOffMs,
    pollMs: 1000,
    emit: (e) => events.push(e),
    onProgress: (p) => progress.push(p),
    ...extra,
  });
  return { clock, lan, relay, events, progress, options };
}

describe('binding rule', () => {
  it('discovery order (poll, then lease expiry, then MAC) onto ascending Pi ids; extras and missing reported', () => {
    const r = assignMacs(
      [
        { mac: 'c', poll: 1, expiry: 5 },
        { mac: 'b', poll: 0, expiry: 9 },
        { mac: 'a', poll: 0, expiry: 9 },
        { mac: 'd', poll: 0, expiry: 3 },
      ],
      [7, 5, 6],
    );
    expect(r.pairs).toEqual([
      { node: 5, mac: 'd' },
      { node: 6, mac: 'a' },
      { node: 7, mac: 'b' },
    ]);
    expect(r.extra).toEqual(['c']);
    expect(assignMacs([{ mac: 'a', poll: 0, expiry: 1 }], [1, 2]).missing).toEqual([2]);
  });
});

describe('enlistment runner', () => {
  it('all found: other unbound stacks off, stack on, bind in discovery order, hosts written, cycled, checked at fixed IPs', async () => {
    const rack = makeRack([
      { id: 1, pis: [1, 2] },
      { id: 2, pis: [3, 4] },
    ]);
    const pis = [
      { mac: mac(0xb1), stack: 1, bootMs: 9000 },
      { mac: mac(0xa1), stack: 1, bootMs: 4000 },
      { mac: mac(0xc3), stack: 2, bootMs: 3000 },
      { mac: mac(0xc4), stack: 2, bootMs: 3000 },
    ];
    const t = setup(rack, pis, { 1: 'off', 2: 'on' });
    t.clock.advance(60_000); // stack 2's Pis hold leases from before
    const start = t.clock.now();
    const result = await runEnlistment(t.options(1, [1, 2]));
    expect(result.bound).toEqual([
      { node: 1, mac: mac(0xa1), ip: '10.99.0.101' },
      { node: 2, mac: mac(0xb1), ip: '10.99.0.102' },
    ]);
    expect(result).toMatchObject({ missing: [], extra: [], unreachable: [] });
    expect(t.lan.bindings[1]?.mac).toBe(mac(0xa1));
    expect(t.lan.bindings[3]).toBeUndefined();
    expect(t.lan.hostsWrites.at(-1)?.map((h) => h.mac)).toEqual([mac(0xa1), mac(0xb1)]);
    // stack 2 off, min-off, stack 1 on, then the cycle: off, min-off, on.
    expect(t.relay.log.map((l) => l.split('@')[0])).toEqual(['2:off', '1:on', '1:off', '1:on']);
    const [, on1, off1, on2] = t.relay.log.map((l) => Number(l.split('@')[1]) - start);
    expect(on1).toBe(10_000);
    expect((on2 ?? 0) - (off1 ?? 0)).toBe(10_000);
    // Stopped watching as soon as both were found, well inside the 40 s window.
    expect((off1 ?? 0) - (on1 ?? 0)).toBeLessThan(15_000);
    const last = t.progress.at(-1);
    expect(last).toMatchObject({ active: false, stackIndex: 1, stackCount: 2, stack: 1, found: 2, expected: 2 });
    expect(t.progress.some((p) => p.message.includes('found 1 of 2') && p.remainingMs > 0 && p.remainingMs < 40_000)).toBe(true);
  });

  it('fewer found: a warning within the bounded window, the found ones still bound', async () => {
    const rack = makeRack([{ id: 1, pis: [1, 2, 3] }]);
    const t = setup(
      rack,
      [
        { mac: mac(1), stack: 1, bootMs: 2000 },
        { mac: mac(2), stack: 1, bootMs: 3000 },
      ],
      { 1: 'off' },
    );
    const start = t.clock.now();
    const result = await runEnlistment(t.options(1, [1, 2, 3]));
    expect(result.missing).toEqual([3]);
    expect(result.bound.map((b) => b.node)).toEqual([1, 2]);
    const warning = t.events.find((e) => e.kind === 'enlist-missing');
    expect(warning?.message).toContain('found 2 of 3');
    expect(t.progress.some((p) => p.message.includes('warning') && p.found === 2 && p.expected === 3)).toBe(true);
    // Window 40 s + cycle off time 10 s + reachability: bounded, not endless.
    expect(t.clock.now() - start).toBeLessThan(40_000 + 10_000 + 40_000 + 5_000);
    expect(t.clock.sleeps.every((ms) => ms <= 10_000)).toBe(true);
  });

  it('no Pi at all: warning, nothing written, no cycle', async () => {
    const rack = makeRack([{ id: 1, pis: [1] }]);
    const t = setup(rack, [], { 1: 'off' });
    const result = await runEnlistment(t.options(1, [1]));
    expect(result).toMatchObject({ bound: [], missing: [1] });
    expect(t.lan.hostsWrites).toEqual([]);
    expect(t.relay.log.map((l) => l.split('@')[0])).toEqual(['1:on']);
  });

  it('more MACs than declared: reported, extras not bound', async () => {
    const rack = makeRack([{ id: 1, pis: [1, 2] }]);
    const t = setup(
      rack,
      [1, 2, 3].map((n) => ({ mac: mac(n), stack: 1, bootMs: 1000 })),
      { 1: 'off' },
    );
    const result = await runEnlistment(t.options(1, [1, 2]));
    expect(result.extra).toEqual([mac(3)]);
    expect(Object.values(t.lan.bindings).map((b) => b.mac)).toEqual([mac(1), mac(2)]);
    expect(t.events.find((e) => e.kind === 'enlist-extra')?.message).toContain(mac(3));
  });

  it('a MAC pinned in rack.yaml is never taken for a new one, and stale leases do not count', async () => {
    const rack = makeRack([
      { id: 1, pis: [{ id: 1, mac: mac(1) }, 2] },
      { id: 2, pis: [3] },
    ]);
    const t = setup(
      rack,
      [
        { mac: mac(1), stack: 1, bootMs: 500 },
        { mac: mac(2), stack: 1, bootMs: 1500 },
      ],
      { 1: 'off', 2: 'off' },
    );
    t.lan.staleLease(mac(9), Math.floor(t.clock.now() / 1000) + 100); // a Pi of stack 2, now off
    const result = await runEnlistment(t.options(1, [2]));
    expect(result.bound).toEqual([{ node: 2, mac: mac(2), ip: '10.99.0.102' }]);
    expect(result.extra).toEqual([]);
    expect(t.lan.hostsWrites.at(-1)).toEqual([
      { mac: mac(1), ip: '10.99.0.101', node: 1 },
      { mac: mac(2), ip: '10.99.0.102', node: 2 },
    ]);
  });

  it('reports Pis that do not answer at their fixed IP, bounded', async () => {
    const rack = makeRack([{ id: 1, pis: [1] }]);
    const t = setup(rack, [{ mac: mac(1), stack: 1, bootMs: 1000 }], { 1: 'off' });
    t.lan.isReachable = async () => false;
    const result = await runEnlistment(t.options(1, [1], { reachTimeoutMs: 5000, isReachable: async () => false }));
    expect(result.unreachable).toEqual([1]);
    expect(t.events.some((e) => e.kind === 'enlist-unreachable')).toBe(true);
  });

  it('is abortable', async () => {
    const rack = makeRack([{ id: 1, pis: [1] }]);
    const t = setup(rack, [], { 1: 'off' });
    const ac = new AbortController();
    let polls = 0;
    const p = runEnlistment(
      t.options(1, [1], {
        signal: ac.signal,
        readLeases: async () => {
          if (++polls === 3) ac.abort();
          return [];
        },
      }),
    );
    await expect(p).rejects.toMatchObject({ code: 'PIRACK_ERR_ABORTED' });
    expect(polls).toBe(3);
  });
});
