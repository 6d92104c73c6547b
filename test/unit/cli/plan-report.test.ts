import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.ts';
import { planExitCode, planJson, planTable, type ScopePass } from '../../../src/cli/plan-report.ts';
import { pirackError } from '../../../src/errors.ts';
import type { NodePassResult } from '../../../src/reconcile/node-pass.ts';
import { convergedFacts } from '../../support/fixtures.ts';
import { makeRack } from '../dhcp/rack-fixture.ts';

const rack = makeRack([
  { id: 1, pis: [1, 2] },
  { id: 2, power: 'off', pis: [3] },
]);
const synced = (node: number): NodePassResult => ({
  node,
  facts: convergedFacts(),
  planned: [],
  applied: [],
  remaining: [],
  durationMs: 1,
});
const drifted = (node: number): NodePassResult => ({
  ...synced(node),
  planned: [{ kind: 'file-write', node, path: '/etc/motd', sha256: 'a'.repeat(64), reason: 'content' }],
});
const lost = (node: number): NodePassResult => ({
  node,
  planned: [],
  applied: [],
  remaining: [],
  durationMs: 1,
  error: pirackError('PIRACK_ERR_SSH_UNREACHABLE', 'connect ETIMEDOUT', { where: `pi ${node}` }),
});
const poweredOff = (node: number): NodePassResult => ({ node, planned: [], applied: [], remaining: [], durationMs: 0 });
const stack = (planned: ScopePass['planned'] = [], error?: ReturnType<typeof pirackError>): ScopePass => ({
  scope: 'stack',
  key: 'stack:1',
  planned,
  applied: [],
  durationMs: 1,
  ...(error ? { error } : {}),
});

describe('planExitCode', () => {
  it('is 0 in sync; a stack powered off by design is not unreachable', () => {
    expect(planExitCode({ nodes: [synced(1), synced(2), poweredOff(3)], scopes: [stack()] })).toBe(EXIT.OK);
  });
  it('is 1 when a Pi or a stack would change', () => {
    expect(planExitCode({ nodes: [synced(1), drifted(2)], scopes: [] })).toBe(EXIT.DIFFERS);
    expect(planExitCode({ nodes: [synced(1)], scopes: [stack([{ kind: 'stack-power', stack: 1, on: true, reason: 'desired on' }])] })).toBe(
      EXIT.DIFFERS,
    );
  });
  it('is 3 when a Pi could not be probed, even with changes elsewhere', () => {
    expect(planExitCode({ nodes: [drifted(1), lost(2)], scopes: [] })).toBe(EXIT.UNREACHABLE);
  });
  it('is 2 when a relay or the DHCP state could not be read', () => {
    expect(planExitCode({ nodes: [lost(1)], scopes: [stack([], pirackError('PIRACK_ERR_RELAY', 'gpio busy'))] })).toBe(EXIT.ERROR);
  });
});

describe('plan output', () => {
  const input = {
    rack,
    nodes: [synced(1), drifted(2), poweredOff(3)],
    scopes: [],
    diffs: new Map([
      [
        2,
        new Map([
          ['/etc/motd', { kind: 'diff' as const, path: '/etc/motd', patch: '--- a/etc/motd\n+++ b/etc/motd\n@@ -1 +1 @@\n-old\n+new' }],
        ]),
      ],
    ]),
  };
  it('puts the diff beside the action in JSON', () => {
    const json = planJson(input);
    expect(json[1]).toMatchObject({
      pi: 2,
      reachable: true,
      actions: [{ kind: 'file-write', diff: expect.stringContaining('+new') as string }],
    });
    expect(json[2]).toMatchObject({ pi: 3, reachable: false, actions: [] });
  });
  it('prints the table, the diffs under a header per Pi, and a summary', () => {
    const text = planTable(input);
    expect(text).toMatch(/pi 1 +1 +10\.99\.0\.101 +in sync/);
    expect(text).toMatch(/pi 3 .*not probed: its stack is powered off/);
    expect(text).toContain('# pi 2\n--- a/etc/motd');
    expect(text).toMatch(/1 of 3 Pis would change \(1 actions\)\.$/);
  });
});
