import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { piKey, RACK_KEY, stackKey } from '../../../src/reconcile/keys.ts';
import { addHold, emptyMaintenance, holdOnKey, removeHold, type MaintenanceState } from '../../../src/reconcile/maintenance.ts';
import { loadMaintenance, MAINTENANCE_FILE, saveMaintenance } from '../../../src/state/maintenance-file.ts';
import { makeRack } from '../dhcp/rack-fixture.ts';
import { makeLoop, type Loop } from './loop-fixture.ts';

const rack = (policy = {}) =>
  makeRack(
    [
      { id: 1, pis: [1, 2].map((id) => ({ id, mac: MAC(id) })) },
      { id: 2, pis: [3, 4].map((id) => ({ id, mac: MAC(id) })) },
    ],
    { powerCycle: policy },
  );
const MAC = (n: number) => `b8:27:eb:00:00:0${n}`;
const mark = { by: 'alice', reason: 'swapping SD cards', at: 1 };

describe('holds', () => {
  it('a Pi hold holds the Pi, its stack relay and nothing else', () => {
    const state = addHold(emptyMaintenance, { scope: 'pi', id: 3, ...mark });
    expect(holdOnKey(state, rack(), piKey(3))?.by).toBe('alice');
    expect(holdOnKey(state, rack(), stackKey(2))?.scope).toBe('pi');
    expect(holdOnKey(state, rack(), piKey(4))).toBeUndefined();
    expect(holdOnKey(state, rack(), stackKey(1))).toBeUndefined();
    expect(holdOnKey(state, rack(), RACK_KEY)).toBeUndefined();
  });

  it('a stack hold holds its Pis; a rack hold every key; resume lifts exactly its target', () => {
    let state: MaintenanceState = addHold(emptyMaintenance, { scope: 'stack', id: 1, ...mark });
    expect([1, 2, 3].map((id) => holdOnKey(state, rack(), piKey(id)) !== undefined)).toEqual([true, true, false]);
    state = addHold(state, { scope: 'rack', ...mark, reason: 'moving the rack' });
    expect(holdOnKey(state, rack(), RACK_KEY)?.reason).toBe('moving the rack');
    expect(removeHold(state, { scope: 'pi', id: 1 }).removed).toBeUndefined();
    const lifted = removeHold(state, { scope: 'rack' });
    expect(lifted.removed?.scope).toBe('rack');
    expect(holdOnKey(lifted.state, rack(), piKey(3))).toBeUndefined();
    expect(holdOnKey(lifted.state, rack(), piKey(1))?.scope).toBe('stack');
  });
});

describe('maintenance.json', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('round-trips, and says so when it is unreadable instead of silently dropping holds', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pirack-maint-'));
    expect((await loadMaintenance(dir)).state.holds).toEqual([]);
    const state = addHold(emptyMaintenance, { scope: 'stack', id: 2, ...mark });
    await saveMaintenance(dir, state);
    expect((await loadMaintenance(dir)).state).toEqual(state);
    writeFileSync(join(dir, MAINTENANCE_FILE), '{"holds": [');
    const broken = await loadMaintenance(dir);
    expect(broken.state.holds).toEqual([]);
    expect(broken.problem).toMatch(/is not JSON/);
  });
});

describe('Reconciler with holds', () => {
  let loop: Loop | undefined;
  afterEach(async () => {
    await loop?.reconciler.stop();
    loop = undefined;
  });

  it('a held stack is not power-cycled by the policy, and is once resumed', async () => {
    const saved: MaintenanceState[] = [];
    const policy = { enabled: true, afterUnreachableMs: 10_000, minOffMs: 1_000, maxCyclesPerHour: 2 };
    // The holds as a restarted daemon reads them from the state dir.
    const restored = addHold(emptyMaintenance, { scope: 'stack', id: 2, ...mark });
    loop = makeLoop(
      rack(policy),
      { 1: 'on', 2: 'on' },
      {
        maintenance: restored,
        memory: {
          saveCycles: async () => undefined,
          saveAttempts: async () => undefined,
          saveOperator: async () => undefined,
          saveMaintenance: async (s) => void saved.push(s),
        },
      },
    );
    loop.pis.failing.set(3, 'PIRACK_ERR_SSH_UNREACHABLE');
    loop.pis.failing.set(4, 'PIRACK_ERR_SSH_UNREACHABLE');
    loop.reconciler.start();
    await loop.clock.advance(0);
    const probes = loop.pis.probes.length;
    await loop.clock.advance(60_000);
    expect(loop.events.some((e) => e.kind === 'stack-cycle')).toBe(false);
    expect(loop.relay.log.filter((s) => s.startsWith('2:'))).toEqual([]);
    // Stack 1 is not held: its Pis are still looked at.
    loop.reconciler.enqueueAll();
    await loop.clock.advance(0);
    expect(loop.pis.probes.length).toBeGreaterThan(probes);
    expect(loop.pis.probes.every((node) => node !== 3 && node !== 4)).toBe(true);

    expect(loop.reconciler.resume({ scope: 'stack', id: 2 })?.reason).toBe('swapping SD cards');
    expect(saved.at(-1)?.holds).toEqual([]);
    await loop.clock.advance(60_000);
    expect(loop.events.some((e) => e.kind === 'stack-cycle' && e.target === 'stack 2' && e.result === 'ok')).toBe(true);
  });

  it('an operator power-off of a held stack is refused, nothing switched', async () => {
    loop = makeLoop(rack(), { 1: 'on', 2: 'on' });
    loop.reconciler.start();
    await loop.clock.advance(0);
    loop.reconciler.suspend({ scope: 'pi', id: 1 }, { by: 'bob', reason: 'reseating' });
    const switched = loop.relay.log.length;
    const outcome = await loop.reconciler.power([1], 'off', 'carol');
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/pi 1 suspended by bob .*: reseating; resume first \(nothing was switched\)/);
    expect(loop.reconciler.operatorState.overrides).toEqual([]);
    await loop.clock.advance(30_000);
    expect(loop.relay.log.length).toBe(switched);
  });
});
