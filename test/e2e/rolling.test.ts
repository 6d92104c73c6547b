/**
 * Issue 14's runs and rolls on a 2 × 3 virtual rack, through the real `pirack` CLI with no daemon
 * (the direct path): the lab's reboot restarts a Pi's container; `pirack run cpu` answers a
 * number per Pi; bad input is refused with nothing rebooted; a rolling reboot of the rack with
 * maxUnavailable 1 never has two Pis down, gives every Pi a new boot id and ends with all Ready;
 * a Pi that never comes back stops the roll; a rolling upgrade of a stack from the lab's apt
 * repository upgrades every Pi, and `--reboot` reboots those that report reboot-required.
 *
 * Tuned defaults, said here: `--reboot-timeout 40s` for the Pi that never comes back (the
 * default 3 minutes would only make the test slow).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labExec, labIp, readState } from '../../src/lab/index.ts';
import { indexRepo } from '../../src/lab/apt-repo.ts';
import { hostExec } from '../../src/lab/exec.ts';
import type { RunReport } from '../../src/daemon/rolling.ts';
import { runCli } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';
import { waitUntil } from '../support/wait.ts';

const lab = useLab({ stacks: 2, perStack: 3 });
const ALL = [1, 2, 3, 4, 5, 6];
const args = (...rest: string[]) => [...rest, '--rack', lab().rackYaml, '--state-dir', lab().stateDir];

async function bootId(pi: number): Promise<string> {
  return (await labExec(pi, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
}

async function bootIds(ids: readonly number[]): Promise<Record<number, string>> {
  return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await bootId(id)] as const)));
}

/** Whether the Pi's sshd accepts a connection within 500 ms. */
function answers(pi: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: labIp(pi), port: 22, timeout: 500 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

function report(stdout: string): RunReport {
  return JSON.parse(stdout) as RunReport;
}

describe('the lab reboots a Pi', () => {
  it('starts the container again after `reboot -f` inside: a new boot id, its own MAC and sensors', async () => {
    const before = await bootId(1);
    await labExec(1, 'nohup setsid sh -c "sleep 0.5; reboot -f" >/dev/null 2>&1 &');
    const after = await waitUntil('pi 1 back with a new boot id', 60_000, async () => {
      const id = await bootId(1).catch(() => undefined);
      return id && id !== before ? id : undefined;
    });
    expect(after).not.toBe(before);
    const state = await readState(lab().up.dir);
    const mac = state!.pis.find((p) => p.id === 1)!.mac.toLowerCase();
    await waitUntil('pi 1 sshd after the reboot', 60_000, async () => ((await answers(1)) ? true : undefined));
    expect((await labExec(1, 'cat /sys/class/net/eth0/address')).stdout.trim()).toBe(mac);
    expect(Number((await labExec(1, 'cat /sys/class/thermal/thermal_zone0/temp')).stdout.trim())).toBeGreaterThan(0);
  });
});

describe('pirack run and pirack upgrade, directly (no daemon)', () => {
  it('converges the rack first (Ready is "in sync")', async () => {
    const r = await runCli(args('apply', '--once'));
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  });

  it('`pirack run cpu --stack 1` returns a number per Pi', async () => {
    const r = await runCli(args('run', 'cpu', '--stack', '1', '--json'));
    expect(r.code, r.stderr).toBe(0);
    const run = report(r.stdout);
    expect(run.pis.map((p) => p.node)).toEqual([1, 2, 3]);
    for (const p of run.pis) {
      expect(p.state).toBe('ok');
      expect(Number.isFinite(Number(p.data)), `pi ${p.node}: ${p.data}`).toBe(true);
    }
    const table = await runCli(args('run', 'cpu', '--stack', '1'));
    expect(table.stdout).toMatch(/cpu on stack 1: 3\/3 Pis ok/);
  });

  it('refuses an unknown action, --stack 99 and maxUnavailable 0, rebooting nothing', async () => {
    const before = await bootIds(ALL);
    const unknown = await runCli(args('run', 'nosuch', '--stack', '1'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no action "nosuch".*known: .*cpu/);
    const stack = await runCli(args('run', 'reboot', '--stack', '99'));
    expect(stack.code).not.toBe(0);
    expect(stack.stderr).toMatch(/no stack 99 .*stacks: 1-2/);
    const zero = await runCli(args('run', 'reboot', '--all', '--max-unavailable', '0'));
    expect(zero.code).not.toBe(0);
    expect(zero.stderr).toMatch(/maxUnavailable 0: at least 1 Pi must be allowed down/);
    expect(await bootIds(ALL)).toEqual(before);
  });

  it('rolls a reboot over the rack with maxUnavailable 1: never two Pis down, every boot id new, all Ready', async () => {
    const before = await bootIds(ALL);
    let maxDown = 0;
    let samples = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const up = await Promise.all(ALL.map(answers));
        maxDown = Math.max(maxDown, up.filter((u) => !u).length);
        samples++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const r = await runCli(args('run', 'reboot', '--all', '--max-unavailable', '1', '--json'), { timeoutMs: 600_000 });
    watching = false;
    await watcher;
    expect(r.code, r.stderr).toBe(0);
    const run = report(r.stdout);
    expect(run.batches).toEqual(ALL.map((id) => [id]));
    expect(
      run.pis.every((p) => p.state === 'ok'),
      JSON.stringify(run.pis),
    ).toBe(true);
    // The watcher saw the Pis go down one at a time, and it did see them go down.
    expect(samples).toBeGreaterThan(20);
    expect(maxDown).toBe(1);
    const after = await bootIds(ALL);
    for (const id of ALL) {
      expect(after[id]).not.toBe(before[id]);
      expect(run.pis.find((p) => p.node === id)?.bootIdAfter).toBe(after[id]);
    }
    // All Ready at the end: the plan has nothing to do and every Pi answered.
    const plan = await runCli(args('plan', '--json'));
    const entries = JSON.parse(plan.stdout) as { pi: number; reachable: boolean; actions: unknown[] }[];
    expect(entries.filter((e) => e.reachable && e.actions.length === 0).map((e) => e.pi)).toEqual(ALL);
  });

  it('stops the roll at a Pi that never comes back, leaving the next Pi untouched', async () => {
    // Pi 2 boots again without sshd: it never answers with a new boot id.
    await labExec(2, 'systemctl mask ssh.service ssh.socket >/dev/null 2>&1; true');
    const before = await bootIds([1, 2, 3]);
    const r = await runCli(args('run', 'reboot', '--stack', '1', '--max-unavailable', '1', '--reboot-timeout', '40s', '--json'), {
      timeoutMs: 300_000,
    });
    expect(r.code).toBe(1);
    const run = report(r.stdout);
    expect(run.state).toBe('stopped');
    expect(run.pis.map((p) => [p.node, p.state])).toEqual([
      [1, 'ok'],
      [2, 'failed'],
      [3, 'skipped'],
    ]);
    expect(run.pis[1]?.data).toMatch(/pi 2 went down after the reboot and did not come back within 40 s/);
    expect(run.message).toMatch(/stopped after batch 2 of 3/);
    expect(await bootId(3)).toBe(before[3]);
    expect(await bootId(1)).not.toBe(before[1]);
    // Give pi 2 its sshd back for what follows.
    await labExec(2, 'systemctl unmask ssh.service ssh.socket && systemctl start ssh.service');
    await waitUntil('pi 2 sshd', 30_000, async () => ((await answers(2)) ? true : undefined));
  });

  describe('a rolling upgrade of stack 2', () => {
    let work: string | undefined;
    let repoDeb: string | undefined;
    afterAll(async () => {
      // The lab's repository is a cache shared by every lab: take the canary out again.
      if (repoDeb) {
        rmSync(repoDeb, { force: true });
        await indexRepo((await readState(lab().up.dir).catch(() => undefined))?.repoDir ?? '', hostExec).catch(() => undefined);
      }
      if (work) rmSync(work, { recursive: true, force: true });
    });

    /** A tiny package; version 2 says a reboot is needed, as a new kernel would. */
    function canary(version: string): string {
      const root = join(work!, `canary-${version}`);
      mkdirSync(join(root, 'DEBIAN'), { recursive: true });
      mkdirSync(join(root, 'usr/share/pirack-canary'), { recursive: true });
      writeFileSync(join(root, 'usr/share/pirack-canary/version'), `${version}\n`);
      writeFileSync(
        join(root, 'DEBIAN/control'),
        `Package: pirack-canary\nVersion: ${version}\nArchitecture: all\nMaintainer: PiRack tests <tests@pirack.invalid>\nDescription: upgrade test canary\n`,
      );
      if (version.startsWith('2'))
        writeFileSync(join(root, 'DEBIAN/postinst'), '#!/bin/sh\ntouch /var/run/reboot-required\n', { mode: 0o755 });
      const deb = join(work!, `pirack-canary_${version}_all.deb`);
      execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, deb], { stdio: 'pipe' });
      return deb;
    }

    it('leaves every Pi of the stack upgraded, rebooted where required, and Ready; stack 1 untouched', async () => {
      work = mkdtempSync(join(tmpdir(), 'pirack-canary-'));
      const v1 = canary('1.0');
      const state = await readState(lab().up.dir);
      for (const id of [4, 5, 6]) {
        const pi = state!.pis.find((p) => p.id === id)!;
        copyFileSync(v1, join(pi.root, 'var/tmp/pirack-canary_1.0_all.deb'));
        const r = await labExec(id, 'dpkg -i /var/tmp/pirack-canary_1.0_all.deb');
        expect(r.code, r.stderr).toBe(0);
      }
      const v2 = canary('2.0');
      repoDeb = join(state!.repoDir, 'pirack-canary_2.0_all.deb');
      copyFileSync(v2, repoDeb);
      await indexRepo(state!.repoDir, hostExec);
      const before = await bootIds(ALL);

      const r = await runCli(args('upgrade', '--stack', '2', '--max-unavailable', '1', '--reboot', '--json'), { timeoutMs: 600_000 });
      expect(r.code, r.stderr).toBe(0);
      const run = report(r.stdout);
      expect(run.action).toBe('upgrade');
      expect(run.pis.map((p) => [p.node, p.state])).toEqual([
        [4, 'ok'],
        [5, 'ok'],
        [6, 'ok'],
      ]);
      for (const p of run.pis) expect(p.data).toMatch(/^\d+ upgraded, .*rebooted in \d+ s, Ready/);
      const after = await bootIds(ALL);
      for (const id of [4, 5, 6]) {
        expect((await labExec(id, "dpkg-query -W -f='${Version}' pirack-canary")).stdout).toBe('2.0');
        expect(after[id]).not.toBe(before[id]);
        expect((await labExec(id, 'test -e /var/run/reboot-required && echo yes || echo no')).stdout.trim()).toBe('no');
      }
      for (const id of [1, 2, 3]) expect(after[id]).toBe(before[id]);
    });
  });
});
