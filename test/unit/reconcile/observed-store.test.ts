import { describe, expect, it } from 'vitest';
import { pirackError } from '../../../src/errors.ts';
import { ObservedStore, type StoreChange } from '../../../src/reconcile/observed-store.ts';
import { convergedFacts } from '../../support/fixtures.ts';

const T = 1_700_000_000_000;
const lost = pirackError('PIRACK_ERR_SSH_UNREACHABLE', 'no route');

describe('ObservedStore', () => {
  it('keeps the start of an unreachable spell', () => {
    const store = new ObservedStore();
    store.recordUnreachable(1, lost, T, false);
    store.recordUnreachable(1, lost, T + 5, false);
    expect(store.node(1)?.unreachableSince).toBe(T);
    store.recordProbe(1, convergedFacts(), T + 10);
    expect(store.node(1)).toMatchObject({ reachable: true, lastSeen: T + 10 });
    expect(store.node(1)?.unreachableSince).toBeUndefined();
  });

  it('says once when a Pi that answered is lost and once when it is back, whoever noticed', () => {
    const store = new ObservedStore();
    const said: string[] = [];
    store.subscribe((c) => {
      if (c.scope === 'node' && c.what === 'reachability') said.push(`${c.id} ${c.reachable ? 'back' : 'lost'}: ${c.reason}`);
    });
    store.recordUnreachable(1, lost, T, false); // never seen: not "lost"
    store.recordProbe(1, convergedFacts(), T + 1); // so not "back" either
    store.recordLost(1, T + 2, pirackError('PIRACK_ERR_STREAM_LOST', 'watch stream lost: no heartbeat'));
    store.recordUnreachable(1, lost, T + 3, false); // the pass that follows: the same loss
    store.recordHeartbeat(1, T + 4); // back by a heartbeat, before any pass
    store.recordProbe(1, convergedFacts(), T + 5); // the pass that follows: the same return
    store.recordProbe(2, convergedFacts(), T);
    store.recordPoweredOff(2, 'rack.yaml'); // meant to be off: not lost
    store.recordUnreachable(2, lost, T + 1, false);
    expect(said).toEqual(['1 lost: stopped answering: watch stream lost: no heartbeat', '1 back: answers again (watch stream)']);
  });

  it("the power-cycle policy's clock starts when the stack came on, not before", () => {
    const store = new ObservedStore();
    store.recordUnreachable(3, lost, T, false);
    store.recordUnreachable(3, lost, T + 1, false);
    expect(store.reachability(3, 2)).toEqual({ reachable: false, unreachableSince: T });
    store.recordSwitchedOn(2, T + 60_000);
    expect(store.reachability(3, 2)).toEqual({ reachable: false, unreachableSince: T + 60_000 });
    store.recordPoweredOff(3, 'alice');
    expect(store.reachability(3, 2)).toBeUndefined();
  });

  it('the stream API: heartbeats make a Pi reachable with live health, lost makes it unreachable, notices are announced', () => {
    const store = new ObservedStore();
    const changes: StoreChange[] = [];
    store.subscribe((c) => changes.push(c));
    store.recordHeartbeat(5, T, { cpuPercent: 12, temperatureC: 48 });
    expect(store.node(5)).toMatchObject({ reachable: true, heartbeatAt: T, stream: 'open', health: { cpuPercent: 12 } });
    store.recordHeartbeat(5, T + 1, { cpuPercent: 30, temperatureC: 48 }); // live already: new figures only
    expect(store.node(5)?.health?.cpuPercent).toBe(30);
    store.recordChangeNotice(5, T + 1);
    store.recordLost(5, T + 2, lost);
    expect(store.node(5)).toMatchObject({ reachable: false, unreachableSince: T + 2, stream: 'lost' });
    // The heartbeat was an answer, so the loss is also the one "lost" transition.
    expect(changes.map((c) => (c.scope === 'node' ? c.what : ''))).toEqual([
      'heartbeat',
      'health',
      'change-notice',
      'lost',
      'reachability',
    ]);
  });

  it('keeps the policy cycles of the last hour only', () => {
    const store = new ObservedStore();
    store.recordCycle({ stack: 1, at: T, reason: 'a' });
    store.recordCycle({ stack: 1, at: T + 3_000_000, reason: 'b' });
    expect(store.cycles(T + 3_000_000).map((c) => c.reason)).toEqual(['a', 'b']);
    expect(store.cycles(T + 3_700_000).map((c) => c.reason)).toEqual(['b']);
  });

  it('lastPass is the most recent pass of one key, whichever', () => {
    const store = new ObservedStore();
    store.recordPassEnd('pi:1', T, 40);
    store.recordPassEnd('stack:1', T + 1, 3);
    expect(store.lastPass).toEqual({ key: 'stack:1', at: T + 1, durationMs: 3 });
  });

  it("records a pass's error once in the error list, newest first", () => {
    const store = new ObservedStore();
    store.recordNodePass(1, [], lost, T);
    store.recordStackPass(2, [], pirackError('PIRACK_ERR_RELAY', 'stuck'), T + 1);
    expect(store.errors().map((e) => `${e.where} ${e.code}`)).toEqual(['stack 2 PIRACK_ERR_RELAY', 'pi 1 PIRACK_ERR_SSH_UNREACHABLE']);
  });
});
