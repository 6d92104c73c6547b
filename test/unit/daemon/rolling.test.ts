import { describe, expect, it } from 'vitest';
import { pirackError } from '../../../src/errors.ts';
import type { RackSpec } from '../../../src/model/desired.ts';
import { REBOOT } from '../../../src/daemon/actions.ts';
import { BOOT_ID_COMMAND } from '../../../src/daemon/reboot.ts';
import {
  batchSizeOf,
  executeRunSteps,
  prepareRun,
  resolveMaxUnavailable,
  type RunDeps,
  type RunReport,
} from '../../../src/daemon/rolling.ts';
import { describeSelector, selectNodes } from '../../../src/daemon/targets.ts';
import type { SshRunner } from '../../../src/ssh/types.ts';
import { fakeClock } from '../../support/fake-clock.ts';
import { nodeSpec } from '../../support/fixtures.ts';

/** Two stacks of three; `uptime` declared, `drain` declared disruptive. */
function rack(): RackSpec {
  const nodes = [1, 2, 3, 4, 5, 6].map((id) => nodeSpec({ id, stack: id <= 3 ? 1 : 2, ip: `10.0.0.${id}` }));
  return {
    nodes,
    stacks: [
      { id: 1, nodes: nodes.slice(0, 3) },
      { id: 2, nodes: nodes.slice(3) },
    ],
    actions: [
      { name: 'uptime', command: 'cut -d" " -f1 /proc/uptime' },
      { name: 'drain', command: 'systemctl stop app', disruptive: true },
    ],
    sourcePath: '/srv/rack.yaml',
    policies: { dpkgLockTimeoutSeconds: 60 },
    ssh: { port: 22, concurrency: 16 },
  } as unknown as RackSpec;
}

/** Pis that reboot for real in simulated time: down for `downPolls` looks, then back with a new boot id. */
function simulatedPis(options: { neverBack?: number[]; downPolls?: number } = {}) {
  const boot = new Map<number, number>();
  const downFor = new Map<number, number>();
  let down = 0;
  let maxDown = 0;
  const commands: { node: number; command: string }[] = [];
  const ssh: SshRunner = {
    async exec(target, command) {
      commands.push({ node: target.node, command });
      const left = downFor.get(target.node) ?? 0;
      if (left > 0) {
        if (!options.neverBack?.includes(target.node)) downFor.set(target.node, left - 1);
        if (left === 1 && !options.neverBack?.includes(target.node)) {
          down--;
          boot.set(target.node, (boot.get(target.node) ?? 0) + 1);
        }
        throw pirackError('PIRACK_ERR_SSH_UNREACHABLE', `pi ${target.node} does not answer`);
      }
      if (command === BOOT_ID_COMMAND) {
        const n = boot.get(target.node) ?? 0;
        return { exitCode: 0, stdout: `0000000${target.node}-0000-0000-0000-00000000000${n % 10}\n`, stderr: '', durationMs: 1 };
      }
      if (command === REBOOT) {
        downFor.set(target.node, options.downPolls ?? 3);
        down++;
        maxDown = Math.max(maxDown, down);
        return { exitCode: 0, stdout: 'rebooting\n', stderr: '', durationMs: 1 };
      }
      return { exitCode: 0, stdout: `${target.node * 10}\n`, stderr: '', durationMs: 1 };
    },
    usedBootstrap: () => false,
    forget: () => undefined,
    connectionCount: () => 0,
    close: async () => undefined,
  };
  return { ssh, commands, maxDown: () => maxDown, bootOf: (id: number) => boot.get(id) ?? 0 };
}

function deps(ssh: SshRunner): RunDeps {
  return {
    ssh,
    port: 22,
    clock: fakeClock(1_700_000_000_000, { autoSleep: true }),
    concurrency: 4,
    ready: async () => ({ ready: true, reason: 'in sync' }),
  };
}

describe('choosing Pis and batches', () => {
  it('selects Pis, stacks and the rack, and names every unknown id', () => {
    expect(selectNodes(rack(), { scope: 'stack', ids: [2] }).map((n) => n.id)).toEqual([4, 5, 6]);
    expect(selectNodes(rack(), { scope: 'pi', ids: [5, 1] }).map((n) => n.id)).toEqual([1, 5]);
    expect(selectNodes(rack(), { scope: 'rack' })).toHaveLength(6);
    expect(() => selectNodes(rack(), { scope: 'stack', ids: [99] })).toThrow(/no stack 99 in \/srv\/rack.yaml \(stacks: 1-2\)/);
    expect(() => selectNodes(rack(), { scope: 'pi', ids: [7, 8] })).toThrow(/no pi 7, 8 .*Pis: 1-6/);
  });

  it('narrows a scope by labels, and refuses a selector that matches nothing or names an unknown key', () => {
    const base = rack();
    const labelled = { ...base, nodes: base.nodes.map((n) => (n.id % 2 === 0 ? { ...n, labels: { role: 'worker' } } : n)) };
    expect(selectNodes(labelled, { scope: 'rack', labels: 'role=worker' }).map((n) => n.id)).toEqual([2, 4, 6]);
    expect(selectNodes(labelled, { scope: 'stack', ids: [2], labels: 'role=worker' }).map((n) => n.id)).toEqual([4, 6]);
    expect(selectNodes(labelled, { scope: 'stack', ids: [1], labels: '!role' }).map((n) => n.id)).toEqual([1, 3]);
    expect(() => selectNodes(labelled, { scope: 'pi', ids: [1], labels: 'role=worker' })).toThrow(/pi 1 -l role=worker matches no Pi/);
    expect(() => selectNodes(labelled, { scope: 'rack', labels: 'rol=worker' })).toThrow(
      expect.objectContaining({ code: 'PIRACK_ERR_SELECTOR' }),
    );
    expect(describeSelector({ scope: 'stack', ids: [1, 2], labels: 'role=worker' })).toBe('stack 1,2 -l role=worker');
  });

  it('reads maxUnavailable as a count or a percentage, and refuses 0', () => {
    expect(resolveMaxUnavailable(undefined, 6)).toBe(1);
    expect(resolveMaxUnavailable(2, 6)).toBe(2);
    expect(resolveMaxUnavailable('50%', 6)).toBe(3);
    expect(resolveMaxUnavailable('10%', 6)).toBe(1);
    expect(() => resolveMaxUnavailable(0, 6)).toThrow(/maxUnavailable 0: at least 1 Pi must be allowed down/);
    expect(() => resolveMaxUnavailable('0%', 6)).toThrow(/from 1% to 100%/);
    expect(() => resolveMaxUnavailable('lots', 6)).toThrow(/neither a count nor a percentage/);
    expect(batchSizeOf({ maxUnavailable: 3, batch: 2 }, 6)).toBe(2);
    expect(batchSizeOf({ maxUnavailable: 1, batch: 4 }, 6)).toBe(1);
    expect(() => batchSizeOf({ batch: 0 }, 6)).toThrow(/batch 0/);
  });

  it('prepares a run only when the action, the target and the controls are all right', () => {
    expect(() => prepareRun(rack(), { action: 'nosuch', selector: { scope: 'rack' } })).toThrow(
      /no action "nosuch".*known: cpu, drain, ping, reboot, temperature, uptime/,
    );
    const reboot = prepareRun(rack(), { action: 'reboot', selector: { scope: 'rack' }, controls: { maxUnavailable: '50%' } });
    expect(reboot.disruptive).toBe(true);
    expect(reboot.batches.map((b) => b.map((n) => n.id))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(prepareRun(rack(), { action: 'drain', selector: { scope: 'stack', ids: [1] } }).batchSize).toBe(1);
    const plain = prepareRun(rack(), { action: 'uptime', selector: { scope: 'rack' }, controls: { maxUnavailable: 1 } });
    expect(plain.disruptive).toBe(false);
    expect(plain.batches).toHaveLength(1);
    expect(prepareRun(rack(), { upgrade: { full: true }, selector: { scope: 'stack', ids: [2] } }).command).toContain(
      'apt-get -q -y -o DPkg::Lock::Timeout=60',
    );
    const proxied = { ...rack(), master: { aptProxy: 'http://10.0.0.11:3142' } } as RackSpec;
    const upgrade = prepareRun(proxied, { upgrade: {}, selector: { scope: 'rack' } }).command!;
    expect(upgrade.match(/apt-get [^&]*/g)).toEqual([expect.stringContaining(' update '), expect.stringMatching(/ upgrade $/)]);
    for (const apt of upgrade.match(/apt-get [^&]*/g)!) expect(apt).toContain('-o Acquire::http::Proxy=http://10.0.0.11:3142');
    expect(prepareRun(rack(), { upgrade: {}, selector: { scope: 'rack' } }).command).not.toContain('Proxy');
  });
});

describe('executeRunSteps', () => {
  it('rolls a reboot one Pi at a time: never two down, each back with a new boot id', async () => {
    const pis = simulatedPis();
    const reports: RunReport[] = [];
    const run = prepareRun(rack(), { action: 'reboot', selector: { scope: 'rack' } });
    const report = await executeRunSteps('r1', run, deps(pis.ssh), new AbortController().signal, (r) => reports.push(r));
    expect(report.state).toBe('done');
    expect(pis.maxDown()).toBe(1);
    for (const p of report.pis) {
      expect(p.state).toBe('ok');
      expect(p.bootIdAfter).not.toBe(p.bootIdBefore);
      expect(pis.bootOf(p.node)).toBe(1);
    }
    // Progress showed the phases as they happened.
    expect(reports.some((r) => r.pis.some((p) => p.phase === 'down'))).toBe(true);
  });

  it('stops at the first failed batch: the Pi that never comes back fails clearly, the rest are skipped', async () => {
    const pis = simulatedPis({ neverBack: [2] });
    const run = prepareRun(rack(), { action: 'reboot', selector: { scope: 'stack', ids: [1] }, controls: { backTimeoutMs: 20_000 } });
    const report = await executeRunSteps('r2', run, deps(pis.ssh), new AbortController().signal);
    expect(report.state).toBe('stopped');
    expect(report.pis.map((p) => p.state)).toEqual(['ok', 'failed', 'skipped']);
    expect(report.pis[1]?.data).toMatch(/pi 2 went down after the reboot and did not come back within 20 s/);
    expect(pis.commands.filter((c) => c.node === 3)).toEqual([]);
  });

  it('goes on past a failed batch with continueOnFailure', async () => {
    const pis = simulatedPis({ neverBack: [2] });
    const run = prepareRun(rack(), {
      action: 'reboot',
      selector: { scope: 'stack', ids: [1] },
      controls: { backTimeoutMs: 20_000, continueOnFailure: true },
    });
    const report = await executeRunSteps('r3', run, deps(pis.ssh), new AbortController().signal);
    expect(report.state).toBe('failed');
    expect(report.pis.map((p) => p.state)).toEqual(['ok', 'failed', 'ok']);
  });

  it('fails a Pi that is back but never Ready, saying why', async () => {
    const pis = simulatedPis();
    const run = prepareRun(rack(), { action: 'reboot', selector: { scope: 'pi', ids: [4] }, controls: { readyTimeoutMs: 5000 } });
    const report = await executeRunSteps(
      'r4',
      run,
      { ...deps(pis.ssh), ready: async () => ({ ready: false, reason: '2 change(s) still pending' }) },
      new AbortController().signal,
    );
    expect(report.pis[0]?.state).toBe('failed');
    expect(report.pis[0]?.data).toMatch(/pi 4 was not Ready within 5 s \(last: 2 change\(s\) still pending\)/);
  });

  it('runs a plain action on every Pi at once and reports each answer', async () => {
    const pis = simulatedPis();
    const run = prepareRun(rack(), { action: 'uptime', selector: { scope: 'stack', ids: [2] } });
    const report = await executeRunSteps('r5', run, deps(pis.ssh), new AbortController().signal);
    expect(report.pis.map((p) => [p.node, p.state, p.data])).toEqual([
      [4, 'ok', '40'],
      [5, 'ok', '50'],
      [6, 'ok', '60'],
    ]);
  });
});
