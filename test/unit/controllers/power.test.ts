import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { cycleDecision, powerController } from '../../../controllers/power.ts';
import type {
  CycleRecord,
  NodeReachability,
  RackContext,
  RackEventInput,
  StackDesired,
  StackObserved,
} from '../../../src/reconcile/controller.ts';
import type { PowerCyclePolicy, StackSpec } from '../../../src/model/desired.ts';
import type { Clock } from '../../../src/util/clock.ts';
import type { StackAction } from '../../../src/model/actions.ts';
import type { PowerState, RackSpec } from '../../../src/model/desired.ts';
import { createStagger } from '../../../src/relay/stagger.ts';
import { FakeRelay } from '../relay/fake-relay.ts';
import { makeRack, virtualClock } from '../dhcp/rack-fixture.ts';

const NOW = 1_700_000_000_000;
const MIN = 60_000;

/** The whole rack's read-back, as the tests state it; each stack key sees its own slice. */
interface RackView {
  readonly relay: ReadonlyMap<number, PowerState | 'unknown'>;
  readonly nodes: ReadonlyMap<number, NodeReachability>;
  readonly enlisting: ReadonlySet<number>;
}

function observed(
  relay: Record<number, PowerState | 'unknown'>,
  nodes: Record<number, NodeReachability> = {},
  enlisting: number[] = [],
): RackView {
  return {
    relay: new Map(Object.entries(relay).map(([k, v]) => [Number(k), v])),
    nodes: new Map(Object.entries(nodes).map(([k, v]) => [Number(k), v])),
    enlisting: new Set(enlisting),
  };
}

/** What the store remembers for the policy: the cycles of the last hour and whether a pass has finished. */
interface Memory {
  readonly cycles: readonly CycleRecord[];
  readonly firstPass: boolean;
}
const initial: Memory = { cycles: [], firstPass: true };
const running: Memory = { cycles: [], firstPass: false };
const recordCycle = (m: Memory, c: CycleRecord): Memory => ({ ...m, cycles: [...m.cycles.filter((x) => x.at > c.at - 3_600_000), c] });

function stackView(stack: StackSpec, view: RackView, memory: Memory): StackObserved {
  return {
    relay: view.relay.get(stack.id) ?? 'unknown',
    nodes: new Map(stack.nodes.flatMap((n) => (view.nodes.has(n.id) ? [[n.id, view.nodes.get(n.id)!] as const] : []))),
    cycles: memory.cycles,
    firstPass: memory.firstPass,
    enlisting: view.enlisting.has(stack.id),
  };
}

/** Every stack key's plan, in rack.yaml order. */
function plan(rack: RackSpec, view: RackView, memory: Memory, now: number): StackAction[] {
  return rack.stacks.flatMap((s) => powerController.plan(s as StackDesired, stackView(s, view, memory), [], now, rack.policies));
}

const decide = (stack: StackSpec, view: RackView, memory: Memory, policy: PowerCyclePolicy, now: number) =>
  cycleDecision(stack, stackView(stack, view, memory), policy, now);
const down = (minutes: number): NodeReachability => ({ reachable: false, unreachableSince: NOW - minutes * MIN });
const up: NodeReachability = { reachable: true };

const rack2 = (p1: 'on' | 'off' = 'on', p2: 'on' | 'off' = 'on', policy = {}) =>
  makeRack(
    [
      { id: 1, power: p1, pis: [1, 2] },
      { id: 2, power: p2, pis: [3] },
    ],
    { powerCycle: policy },
  );

describe('power plan: switching', () => {
  it('switches only stacks whose read-back differs from rack.yaml, each on its own key', () => {
    const actions = plan(rack2('on', 'off'), observed({ 1: 'off', 2: 'on' }), running, NOW);
    expect(actions).toEqual([
      { kind: 'stack-power', stack: 1, on: true, reason: 'rack.yaml wants on, relay reads off' },
      { kind: 'stack-power', stack: 2, on: false, reason: 'rack.yaml wants off, relay reads on' },
    ]);
  });

  it('a daemon restart changes no relay: read-back equal to desired plans nothing, first pass included', () => {
    expect(plan(rack2('on', 'off'), observed({ 1: 'on', 2: 'off' }, { 1: down(60), 2: down(60), 3: up }), initial, NOW)).toEqual([]);
  });

  it('unknown read-back: switched on when rack.yaml wants on, never switched off automatically', () => {
    expect(plan(rack2('on', 'off'), observed({ 1: 'unknown', 2: 'unknown' }), running, NOW)).toEqual([
      { kind: 'stack-power', stack: 1, on: true, reason: 'relay state unknown, rack.yaml wants it on' },
    ]);
    expect(plan(rack2('on', 'off'), observed({}), running, NOW).map((a) => a.stack)).toEqual([1]);
  });

  it('leaves stacks the enlistment owns alone', () => {
    expect(plan(rack2('on', 'on'), observed({ 1: 'off', 2: 'off' }, {}, [1]), running, NOW).map((a) => a.stack)).toEqual([2]);
  });
});

describe('power plan: guarded power-cycle', () => {
  const allDown = { 1: down(11), 2: down(15), 3: up };

  it('cycles a stack whose Pis are all unreachable long enough, with the reason', () => {
    const actions = plan(rack2(), observed({ 1: 'on', 2: 'on' }, allDown), running, NOW);
    expect(actions).toEqual([
      { kind: 'stack-cycle', stack: 1, reason: 'all 2 Pis unreachable for 11m (policy: after 10m); cycle 1 of at most 2 this hour' },
    ]);
  });

  it('not when the policy is disabled', () => {
    expect(plan(rack2('on', 'on', { enabled: false }), observed({ 1: 'on', 2: 'on' }, allDown), running, NOW)).toEqual([]);
  });

  it('not in the first pass after daemon start-up', () => {
    expect(plan(rack2(), observed({ 1: 'on', 2: 'on' }, allDown), initial, NOW)).toEqual([]);
  });

  it('not when one Pi of the stack still answers, or has not been probed', () => {
    expect(plan(rack2(), observed({ 1: 'on', 2: 'on' }, { 1: down(30), 2: up }), running, NOW)).toEqual([]);
    expect(plan(rack2(), observed({ 1: 'on', 2: 'on' }, { 1: down(30) }), running, NOW)).toEqual([]);
  });

  it('not before every Pi has been unreachable for afterUnreachableMs', () => {
    const d = decide(rack2().stacks[0]!, observed({ 1: 'on' }, { 1: down(30), 2: down(9) }), running, rack2().policies.powerCycle, NOW);
    expect(d).toEqual({ cycle: false, why: 'unreachable for 9m only' });
  });

  it('never while the stack is enlisting', () => {
    expect(plan(rack2(), observed({ 1: 'on', 2: 'on' }, allDown, [1]), running, NOW)).toEqual([]);
  });

  it('not for a stack that is off or wanted off', () => {
    expect(plan(rack2('off', 'on'), observed({ 1: 'off', 2: 'on' }, allDown), running, NOW)).toEqual([]);
  });

  it('at most maxCyclesPerHour per stack, and not again before the Pis had time to boot', () => {
    const policy = rack2().policies.powerCycle;
    const stack = rack2().stacks[0]!;
    const obs = observed({ 1: 'on' }, { 1: down(120), 2: down(120) });
    let memory = recordCycle(running, { stack: 1, at: NOW - 50 * MIN, reason: 'x' });
    expect(decide(stack, obs, memory, policy, NOW)).toMatchObject({ cycle: true, reason: expect.stringContaining('cycle 2 of at most 2') });
    memory = recordCycle(memory, { stack: 1, at: NOW - 5 * MIN, reason: 'x' });
    expect(decide(stack, obs, memory, policy, NOW)).toEqual({ cycle: false, why: 'cycled recently; Pis are given time to boot' });
    expect(decide(stack, obs, memory, policy, NOW + 6 * MIN)).toEqual({ cycle: false, why: 'rate limit: 2 cycles in the last hour' });
    // An hour after the first one, one slot frees up.
    expect(decide(stack, obs, memory, policy, NOW + 11 * MIN)).toMatchObject({ cycle: true });
    // Another stack's history does not count.
    const other = recordCycle(recordCycle(running, { stack: 2, at: NOW - 30 * MIN, reason: 'x' }), {
      stack: 2,
      at: NOW - 20 * MIN,
      reason: 'x',
    });
    expect(decide(stack, obs, other, policy, NOW)).toMatchObject({ cycle: true });
  });

  it('recordCycle prunes entries over an hour old', () => {
    const m = recordCycle(recordCycle(running, { stack: 1, at: NOW - 2 * 60 * MIN, reason: 'old' }), { stack: 1, at: NOW, reason: 'new' });
    expect(m.cycles.map((c) => c.reason)).toEqual(['new']);
  });
});

function context(rack: RackSpec, relay: FakeRelay, clock: ReturnType<typeof virtualClock>) {
  const events: RackEventInput[] = [];
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const ctx: RackContext = {
    rack,
    relay,
    dhcp: {} as RackContext['dhcp'],
    ssh: {} as RackContext['ssh'],
    clock: { now: clock.now, sleep: clock.sleep, setTimeout: () => 0, clearTimeout: () => undefined } as Clock,
    log,
    signal: new AbortController().signal,
    now: clock.now,
    sleep: clock.sleep,
    emit: (e) => events.push(e),
    stagger: createStagger(rack.relay.staggerMs, clock.now, clock.sleep),
    isReachable: async () => true,
  };
  return { ctx, events, lines };
}

describe('power plan: operator layer', () => {
  it('an operator override is planned like rack.yaml, saying who wants it', () => {
    const stack = { ...rack2().stacks[0]!, power: 'off' as const, override: { by: 'alice', at: NOW } };
    expect(powerController.plan(stack, stackView(stack, observed({ 1: 'on' }), running), [], NOW, rack2().policies)).toEqual([
      { kind: 'stack-power', stack: 1, on: false, reason: 'alice wants off, relay reads on' },
    ]);
  });

  it('a requested cycle runs once, whatever the policy says', () => {
    const stack = { ...rack2('on', 'on', { enabled: false }).stacks[0]!, cycleRequest: { by: 'bob', at: NOW } };
    expect(
      powerController.plan(stack, stackView(stack, observed({ 1: 'on' }, { 1: up, 2: up }), initial), [], NOW, rack2().policies),
    ).toEqual([{ kind: 'stack-cycle', stack: 1, reason: 'asked for by bob' }]);
  });
});

describe('power apply', () => {
  it('staggers stacks switched on one after another by relay.staggerMs', async () => {
    const clock = virtualClock(NOW);
    const rack = makeRack(
      [
        { id: 1, pis: [1] },
        { id: 2, pis: [2] },
        { id: 3, power: 'off', pis: [3] },
      ],
      { staggerMs: 2000 },
    );
    const relay = new FakeRelay({ 1: 'off', 2: 'off', 3: 'on' }, clock.now);
    const { ctx, events } = context(rack, relay, clock);
    const actions = plan(rack, observed({ 1: 'off', 2: 'off', 3: 'on' }), running, NOW);
    for (const a of actions) expect((await powerController.apply(a, ctx)).ok).toBe(true);
    expect(relay.log).toEqual([`1:on@${NOW}`, `2:on@${NOW + 2000}`, `3:off@${NOW + 2000}`]);
    expect(events.map((e) => `${e.target} ${e.result}`)).toEqual(['stack 1 ok', 'stack 2 ok', 'stack 3 ok']);
  });

  it('a cycle is off, minOff, on, and an event with its reason', async () => {
    const clock = virtualClock(NOW);
    const rack = rack2();
    const relay = new FakeRelay({ 1: 'on' }, clock.now);
    const { ctx, events, lines } = context(rack, relay, clock);
    const action: StackAction = { kind: 'stack-cycle', stack: 1, reason: 'all 2 Pis unreachable for 11m' };
    const r = await powerController.apply(action, ctx);
    expect(r.ok).toBe(true);
    expect(relay.log).toEqual([`1:off@${NOW}`, `1:on@${NOW + 10_000}`]);
    expect(events).toEqual([
      { kind: 'stack-cycle', target: 'stack 1', message: 'power-cycled: all 2 Pis unreachable for 11m', result: 'ok', durationMs: 10_000 },
    ]);
    expect(lines.some((l) => l.includes('"controller":"power"') && l.includes('power-cycling stack'))).toBe(true);
  });

  it('a failed switch is a StepResult with a RELAY error, not a throw', async () => {
    const clock = virtualClock(NOW);
    const relay = new FakeRelay({ 1: 'off' }, clock.now);
    relay.failing.add(1);
    const { ctx, events } = context(rack2(), relay, clock);
    const r = await powerController.apply({ kind: 'stack-power', stack: 1, on: true, reason: 't' }, ctx);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('PIRACK_ERR_RELAY');
    expect(events[0]?.result).toBe('failed');
  });

  it('a cycle whose switch-on fails says the stack was left off', async () => {
    const clock = virtualClock(NOW);
    const relay = new FakeRelay({ 1: 'on' }, clock.now);
    relay.onSet = (s, st) => st === 'off' && relay.failing.add(s);
    const { ctx } = context(rack2(), relay, clock);
    const r = await powerController.apply({ kind: 'stack-cycle', stack: 1, reason: 't' }, ctx);
    expect(!r.ok && r.error.message).toContain('could not be switched back on');
    expect(await relay.read(1)).toBe('off');
  });

  it('an abort during the off time still waits minOff, then switches the stack back on', async () => {
    const clock = virtualClock(NOW);
    const relay = new FakeRelay({ 1: 'on' }, clock.now);
    const { ctx } = context(rack2(), relay, clock);
    const ac = new AbortController();
    relay.onSet = (_s, st) => st === 'off' && ac.abort();
    const r = await powerController.apply({ kind: 'stack-cycle', stack: 1, reason: 't' }, { ...ctx, signal: ac.signal });
    expect(r.ok).toBe(true);
    expect(relay.log).toEqual([`1:off@${NOW}`, `1:on@${NOW + 10_000}`]);
  });
});
