/** The one loop, on a fake clock: Pis, stacks and the rack on one queue, with the same rules. */
import { afterEach, describe, expect, it } from 'vitest';
import { piKey, stackKey } from '../../../src/reconcile/keys.ts';
import { STACK_PERIOD_MS } from '../../../src/reconcile/reconciler.ts';
import { makeRack } from '../dhcp/rack-fixture.ts';
import { makeLoop, type Loop } from './loop-fixture.ts';

const MAC = (n: number) => `b8:27:eb:00:00:0${n}`;
/** Two stacks of two Pis, every MAC pinned (enlistment has nothing to do but the hosts file). */
const rackOf = (p1: 'on' | 'off' = 'on', p2: 'on' | 'off' = 'on', policy = {}) =>
  makeRack(
    [
      {
        id: 1,
        power: p1,
        pis: [
          { id: 1, mac: MAC(1) },
          { id: 2, mac: MAC(2) },
        ],
      },
      {
        id: 2,
        power: p2,
        pis: [
          { id: 3, mac: MAC(3) },
          { id: 4, mac: MAC(4) },
        ],
      },
    ],
    { powerCycle: policy },
  );

const reachable = (loop: Loop, id: number) => loop.store.node(id)?.reachable;
let loop: Loop | undefined;
afterEach(async () => {
  await loop?.reconciler.stop();
  loop = undefined;
});

describe('Reconciler: one queue for every key', () => {
  it('runOnce passes stacks, the rack and the Pis, and does not probe the Pis of a stack rack.yaml wants off', async () => {
    loop = makeLoop(rackOf('on', 'off'), { 1: 'on', 2: 'off' });
    const reports = await loop.reconciler.runOnce();
    expect(reports.map((r) => r.key)).toEqual(['stack:1', 'stack:2', 'rack', 'pi:1', 'pi:2', 'pi:3', 'pi:4']);
    expect(loop.pis.probes.sort()).toEqual([1, 2]);
    expect(loop.store.node(3)?.poweredOff).toEqual({ by: 'rack.yaml' });
    expect(loop.relay.log).toEqual([]);
    // The rack key wrote the static DHCP entries (nothing there yet); a second pass finds them in place.
    expect(reports.find((r) => r.key === 'rack')).toMatchObject({ applied: [{ action: { kind: 'dhcp-hosts-write' } }] });
    await loop.reconciler.runOnce(['rack']);
    expect(loop.reconciler.plan().filter((e) => e.target === 'rack')).toEqual([]);
  });

  it('an operator override switches the stack through its key; its Pis show PoweredOff, not Unreachable', async () => {
    loop = makeLoop(rackOf(), { 1: 'on', 2: 'on' });
    await loop.reconciler.runOnce();
    const outcome = await loop.reconciler.power([2], 'off', 'alice');
    expect(outcome.ok).toBe(true);
    expect(loop.relay.log).toEqual([`2:off@${loop.clock.now()}`]);
    await loop.reconciler.runOnce([piKey(3), piKey(4)]);
    expect(loop.store.node(3)?.poweredOff).toEqual({ by: 'alice' });
    expect(loop.reconciler.effective.stacks.find((s) => s.id === 2)?.power).toBe('off');
    expect(loop.saved.operator).toBeGreaterThan(0);
    expect(loop.events.at(-1)).toMatchObject({ kind: 'power-off', target: 'stack 2', result: 'ok' });
    // The next rack.yaml revision lifts it: the stack goes back on.
    loop.reconciler.setDesired({ ...rackOf(), revision: 'rev-2' });
    await loop.reconciler.runOnce([stackKey(2)]);
    expect(await loop.relay.read(2)).toBe('on');
  });

  it('a transient failure is retried with backoff, a terminal one is reported and not retried', async () => {
    loop = makeLoop(rackOf(), { 1: 'on', 2: 'on' });
    loop.pis.failing.set(1, 'PIRACK_ERR_SSH_UNREACHABLE');
    loop.pis.failing.set(2, 'PIRACK_ERR_SSH_HOSTKEY_CHANGED');
    loop.reconciler.start();
    await loop.clock.advance(0);
    const count = (id: number) => loop!.pis.probes.filter((p) => p === id).length;
    expect([count(1), count(2)]).toEqual([1, 1]);
    await loop.clock.advance(2_000); // backoffBase (2 s): the first retry
    expect(count(1)).toBe(2);
    await loop.clock.advance(4_000); // doubled
    expect(count(1)).toBe(3);
    expect(count(2)).toBe(1);
    expect(loop.store.node(2)?.quarantined).toBe(true);
    expect(reachable(loop, 1)).toBe(false);
  });

  it('a stack key asks to be requeued (not backed off) while the daemon runs', async () => {
    loop = makeLoop(rackOf(), { 1: 'on', 2: 'on' });
    loop.reconciler.start();
    await loop.clock.advance(0);
    const passes = () => loop!.store.stack(1)?.passes ?? 0;
    expect(passes()).toBe(1);
    await loop.clock.advance(STACK_PERIOD_MS);
    expect(passes()).toBe(2);
    await loop.clock.advance(STACK_PERIOD_MS);
    expect(passes()).toBe(3);
  });

  it('suspend holds every key: no probe, no relay read, until resume', async () => {
    loop = makeLoop(rackOf(), { 1: 'on', 2: 'on' });
    loop.reconciler.start();
    await loop.clock.advance(0);
    loop.reconciler.suspend();
    const probes = loop.pis.probes.length;
    const passes = loop.store.stack(1)?.passes;
    loop.reconciler.enqueueAll();
    await loop.clock.advance(600_000);
    expect(loop.pis.probes.length).toBe(probes);
    expect(loop.store.stack(1)?.passes).toBe(passes);
    loop.reconciler.resume();
    await loop.clock.advance(0);
    expect(loop.pis.probes.length).toBeGreaterThan(probes);
  });

  it('the policy power-cycles a stack whose Pis all stopped answering, records it, then holds back saying why', async () => {
    loop = makeLoop(rackOf('on', 'on', { afterUnreachableMs: 10_000, minOffMs: 1_000, maxCyclesPerHour: 1 }), { 1: 'on', 2: 'on' });
    loop.reconciler.start();
    await loop.clock.advance(0);
    loop.pis.failing.set(3, 'PIRACK_ERR_SSH_UNREACHABLE');
    loop.pis.failing.set(4, 'PIRACK_ERR_SSH_UNREACHABLE');
    loop.reconciler.enqueue(piKey(3));
    loop.reconciler.enqueue(piKey(4));
    await loop.clock.advance(30_000);
    expect(loop.events.some((e) => e.kind === 'stack-cycle' && e.target === 'stack 2' && e.result === 'ok')).toBe(true);
    expect(loop.store.cycles(loop.clock.now()).map((c) => c.stack)).toEqual([2]);
    expect(loop.saved.cycles).toBe(1);
    expect(
      loop.events.filter((e) => e.kind === 'stack-cycle-held' && e.message.includes('rate limit: 1 cycles in the last hour')),
    ).toHaveLength(1);
  });

  it('a new DHCP lease looks at that Pi now, not after its backoff', async () => {
    loop = makeLoop(rackOf(), { 1: 'on', 2: 'on' });
    loop.reconciler.start();
    await loop.clock.advance(0);
    expect(reachable(loop, 1)).toBe(true);
    loop.pis.failing.set(1, 'PIRACK_ERR_SSH_UNREACHABLE');
    loop.reconciler.enqueue(piKey(1));
    await loop.clock.advance(0);
    expect(loop.events.filter((e) => e.kind === 'node-lost' && e.target === 'pi 1')).toHaveLength(1);
    await loop.clock.advance(2_000);
    await loop.clock.advance(4_000);
    loop.pis.failing.delete(1);
    const before = loop.pis.probes.length;
    loop.leases([{ mac: MAC(1), ip: '10.99.0.101', expiry: 1 }]);
    await loop.clock.advance(0);
    expect(loop.pis.probes.length).toBe(before + 1);
    expect(reachable(loop, 1)).toBe(true);
    expect(loop.events.some((e) => e.kind === 'node-back' && e.target === 'pi 1')).toBe(true);
  });

  it('a pass that runs past its timeout is cancelled and retried', async () => {
    loop = makeLoop(rackOf(), { 1: 'on', 2: 'on' });
    loop.pis.hanging.add(1);
    loop.reconciler.start();
    await loop.clock.advance(0);
    await loop.clock.advance(600_000);
    expect(loop.store.node(1)?.error?.code).toBe('PIRACK_ERR_ABORTED');
  });

  it('plan() reads the store only: no probe, no relay read, no pass recorded', async () => {
    loop = makeLoop(rackOf(), { 1: 'on', 2: 'on' });
    await loop.reconciler.runOnce();
    const probes = loop.pis.probes.length;
    const passes = loop.store.stack(1)?.passes;
    const last = loop.store.lastPass;
    await loop.relay.set(1, 'off');
    const plan = loop.reconciler.plan();
    expect(loop.pis.probes.length).toBe(probes);
    expect(loop.store.stack(1)?.passes).toBe(passes);
    expect(loop.store.lastPass).toBe(last);
    // The store still says on: the plan is as cached, switching nothing.
    expect(plan.filter((e) => e.target.startsWith('stack'))).toEqual([]);
  });

  it('a change notice from a Pi (the stream) re-queues that Pi at once', async () => {
    loop = makeLoop(rackOf(), { 1: 'on', 2: 'on' });
    loop.reconciler.start();
    await loop.clock.advance(0);
    const before = loop.pis.probes.filter((p) => p === 2).length;
    loop.store.recordChangeNotice(2, loop.clock.now());
    await loop.clock.advance(0);
    expect(loop.pis.probes.filter((p) => p === 2).length).toBe(before + 1);
  });
});
