import { nodeControllers } from '../../../controllers/index.ts';
import { describe, expect, it } from 'vitest';
import { pirackError } from '../../../src/errors.ts';
import { computeConditions, reasonOf } from '../../../src/reconcile/conditions.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';
const byType = (cs: ReturnType<typeof computeConditions>) => Object.fromEntries(cs.map((c) => [c.type, c]));

describe('computeConditions', () => {
  it('is Ready when reachable with nothing pending', () => {
    const c = byType(computeConditions({ reachable: true, quarantined: false, remaining: [] }, [], T0, nodeControllers));
    expect(c.Ready).toMatchObject({ status: 'True', reason: 'Converged' });
    expect(c.PackagesInSync?.status).toBe('True');
  });

  it('names what is pending, per controller, and why a step failed', () => {
    const error = pirackError('PIRACK_ERR_DPKG_LOCKED', 'install bc failed');
    const c = byType(
      computeConditions(
        { reachable: true, quarantined: false, remaining: [{ kind: 'pkg-install', node: 1, pkgs: ['bc'], updateLists: false }], error },
        [],
        T0,
        nodeControllers,
      ),
    );
    expect(c.PackagesInSync).toMatchObject({ status: 'False', reason: 'DpkgLocked' });
    expect(c.PackagesInSync?.message).toContain('install bc');
    expect(c.KeysInSync?.status).toBe('True');
    expect(c.Ready).toMatchObject({ status: 'False', reason: 'DpkgLocked' });
  });

  it('marks everything Unknown for an unreachable Pi, and quarantine apart', () => {
    const error = pirackError('PIRACK_ERR_SSH_TIMEOUT', 'timed out');
    const c = byType(computeConditions({ reachable: false, quarantined: false, remaining: [], error }, [], T0, nodeControllers));
    expect(c.Reachable).toMatchObject({ status: 'False', reason: 'SshTimeout' });
    expect(c.FilesInSync?.status).toBe('Unknown');
    const q = byType(computeConditions({ reachable: false, quarantined: true, remaining: [] }, [], T0, nodeControllers));
    expect(q.Reachable?.reason).toBe('HostKeyChanged');
  });

  it('moves lastTransitionTime only when the status changes', () => {
    const first = computeConditions({ reachable: true, quarantined: false, remaining: [] }, [], T0, nodeControllers);
    const same = byType(computeConditions({ reachable: true, quarantined: false, remaining: [] }, first, T1, nodeControllers));
    expect(same.Ready?.lastTransitionTime).toBe(T0);
    const changed = byType(computeConditions({ reachable: false, quarantined: false, remaining: [] }, first, T1, nodeControllers));
    expect(changed.Ready?.lastTransitionTime).toBe(T1);
  });

  it('turns error codes into CamelCase reasons', () => {
    expect(reasonOf(pirackError('PIRACK_ERR_SSH_HOSTKEY_CHANGED', 'x'))).toBe('SshHostkeyChanged');
  });
});

describe('RebootRequired', () => {
  it('is shown after Ready while the Pi says so, and leaves Ready alone', () => {
    const conditions = computeConditions(
      { reachable: true, quarantined: false, remaining: [], rebootRequired: ['libc6'] },
      [],
      '2026-01-01T00:00:00Z',
      [],
    );
    expect(conditions.map((c) => [c.type, c.status])).toEqual([
      ['Reachable', 'True'],
      ['Ready', 'True'],
      ['RebootRequired', 'True'],
    ]);
    expect(conditions.at(-1)?.message).toMatch(/reboot-required exists \(libc6\)/);
    expect(
      computeConditions({ reachable: true, quarantined: false, remaining: [] }, [], '2026-01-01T00:00:00Z', []).map((c) => c.type),
    ).toEqual(['Reachable', 'Ready']);
  });
});
