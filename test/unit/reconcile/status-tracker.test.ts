import { describe, expect, it } from 'vitest';
import { registry } from '../../../controllers/index.ts';
import { pirackError } from '../../../src/errors.ts';
import { ObservedStore } from '../../../src/reconcile/observed-store.ts';
import { emptyOperatorState, setPowerOverride, type OperatorState } from '../../../src/reconcile/operator-layer.ts';
import { StatusTracker } from '../../../src/reconcile/status-tracker.ts';
import { makeRack } from '../dhcp/rack-fixture.ts';
import { convergedFacts } from '../../support/fixtures.ts';

const T = 1_700_000_000_000;
const rack = makeRack([
  { id: 1, pis: [1, 2] },
  { id: 2, pis: [3] },
]);

function tracker(operator: OperatorState = emptyOperatorState) {
  const store = new ObservedStore();
  let now = T;
  const t = new StatusTracker(
    store,
    () => ({ rack, operator, revisions: { lastAppliedRevision: 'rev-1', revisionErrors: [] }, suspended: false }),
    registry,
    () => new Date(now),
  );
  return { store, t, tick: (ms: number) => (now += ms) };
}

const cond = (report: ReturnType<StatusTracker['report']>, pi: number, type: string) =>
  report.nodes.find((n) => n.id === pi)?.conditions.find((c) => c.type === type);

describe('StatusTracker', () => {
  it('builds the report from the store only: conditions, counts, stack health, last pass', () => {
    const { store, t } = tracker();
    store.recordProbe(1, convergedFacts(), T);
    store.recordNodePass(1, [], undefined, T);
    store.recordUnreachable(2, pirackError('PIRACK_ERR_SSH_TIMEOUT', 'slow'), T, false);
    store.recordNodePass(2, [], pirackError('PIRACK_ERR_SSH_TIMEOUT', 'slow'), T);
    store.recordRelay(1, 'on', T);
    store.recordPassEnd('pi:2', T + 5, 1234);
    const r = t.report();
    expect(cond(r, 1, 'Ready')?.status).toBe('True');
    expect(cond(r, 2, 'Reachable')).toMatchObject({ status: 'False', reason: 'SshTimeout' });
    expect(r.rack.counts).toEqual({ nodes: 3, ready: 1, unreachable: 1, quarantined: 0 });
    expect(r.stacks[0]).toMatchObject({ power: 'on', health: 'warning' });
    expect(r.rack.lastPassDurationMs).toBe(1234);
    expect(r.lastErrors[0]).toMatchObject({ where: 'pi 2', code: 'PIRACK_ERR_SSH_TIMEOUT' });
  });

  it('moves lastTransitionTime only when a condition changes status', () => {
    const { store, t, tick } = tracker();
    store.recordProbe(1, convergedFacts(), T);
    store.recordNodePass(1, [], undefined, T);
    const first = cond(t.report(), 1, 'Ready')?.lastTransitionTime;
    tick(60_000);
    store.recordNodePass(1, [], undefined, T + 60_000);
    expect(cond(t.report(), 1, 'Ready')?.lastTransitionTime).toBe(first);
    store.recordNodePass(1, [{ kind: 'pkg-install', node: 1, pkgs: ['bc'], updateLists: false }], undefined, T + 60_000);
    expect(cond(t.report(), 1, 'Ready')?.lastTransitionTime).not.toBe(first);
    expect(cond(t.report(), 1, 'PackagesInSync')).toMatchObject({ status: 'False', reason: 'PackagesDiffer' });
  });

  it('shows an operator override with who and when, and its Pis as PoweredOff by them', () => {
    const operator = setPowerOverride(emptyOperatorState, { stack: 2, power: 'off', by: 'alice', at: T, revision: 'rev-1' });
    const { store, t } = tracker(operator);
    store.recordPoweredOff(3, 'alice');
    const r = t.report();
    expect(r.stacks[1]).toMatchObject({
      desiredPower: 'off',
      override: { power: 'off', by: 'alice', at: new Date(T).toISOString(), rackYamlPower: 'on' },
    });
    expect(cond(r, 3, 'Reachable')).toMatchObject({ status: 'False', reason: 'PoweredOff', message: 'its stack is powered off by alice' });
  });

  it("the stack and rack conditions are their controllers'", () => {
    const { store, t } = tracker();
    store.recordStackPass(1, [{ kind: 'stack-power', stack: 1, on: true, reason: 'x' }], pirackError('PIRACK_ERR_RELAY', 'stuck'), T);
    store.recordRackPass([], undefined, T);
    const r = t.report();
    expect(r.stacks[0]?.conditions?.[0]).toMatchObject({ type: 'PowerInSync', status: 'False', reason: 'Relay' });
    expect(r.rack.conditions?.[0]).toMatchObject({ type: 'Enlisted', status: 'True' });
  });

  it('a pass that changes nothing shown leaves generatedAt alone (watchers skip it)', () => {
    const { store, t, tick } = tracker();
    store.recordProbe(1, convergedFacts(), T);
    store.recordNodePass(1, [], undefined, T);
    store.recordStackPass(1, [], undefined, T);
    const first = t.report().generatedAt;
    tick(5_000);
    store.recordStackPass(1, [], undefined, T + 5_000);
    store.recordNodePass(1, [], undefined, T + 5_000);
    expect(t.report().generatedAt).toBe(first);
    tick(5_000);
    store.recordStackPass(1, [], pirackError('PIRACK_ERR_RELAY', 'stuck'), T + 10_000);
    expect(t.report().generatedAt).not.toBe(first);
  });
});
