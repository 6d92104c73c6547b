/**
 * Issue 14, the maintenance half, on the virtual rack with real OpenSSH and systemd:
 * - `plan --exit-code` gates a commit: 1 after a hand-made drift (with its unified diff), 0 after
 *   apply, 2 for a broken candidate or `--stack 99` (nothing probed), 3 with a Pi powered off by a
 *   fault;
 * - `pirack suspend --stack 2` survives a daemon restart and holds the power-cycle the policy
 *   would otherwise do; `pirack resume` lets it happen;
 * - `power off` shuts a stack's Pis down before the cut, `--hard` does not.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { serveDaemon, type RunningDaemon } from '../../src/daemon/serve.ts';
import { labExec, labFault, readState } from '../../src/lab/index.ts';
import type { RackEvent, StatusReport } from '../../src/model/status.ts';
import { createFileSource } from '../../src/source/file.ts';
import { captureLog } from '../support/captured-log.ts';
import { allReady, daemonApi } from '../support/daemon-api.ts';
import { runCli } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';
import { freePort, waitUntil } from '../support/wait.ts';

const lab = useLab({ stacks: 2, perStack: 2 });
const MANAGED = '/etc/pirack-e2e.conf';

let rackPath = '';
let running: RunningDaemon | undefined;
const captured = captureLog();

const cli = (...rest: string[]) => runCli([...rest, '--state-dir', lab().stateDir]);
const withRack = (...rest: string[]) => cli(...rest, '--rack', rackPath);
const context = () => captured.tail(15);
const waitFor = <T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> =>
  waitUntil(what, ms, check, { every: 500, context });

const api = daemonApi(() => running!);
const status = async () => (await api<StatusReport>('GET', '/api/v1/status')).body;
const events = async (after = 0) => (await api<{ events: RackEvent[] }>('GET', `/api/v1/events?after=${after}`)).body.events;

async function startDaemon(): Promise<RunningDaemon> {
  return serveDaemon({
    source: createFileSource({ path: rackPath }),
    stateDir: lab().stateDir,
    log: captured.log,
    http: { host: '127.0.0.1', port: await freePort(), readAccess: 'authenticated' },
  });
}

async function initPids(): Promise<Record<number, number | undefined>> {
  const state = await readState(lab().up.dir);
  return Object.fromEntries((state?.pis ?? []).map((p) => [p.id, p.init?.pid]));
}

/** Stops sshd and drops its open sessions too (a daemon keeps one connection per Pi). */
async function makeUnreachable(pi: number): Promise<void> {
  await labFault(pi, 'sshd-stopped', { dir: lab().up.dir });
  await labExec(pi, 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = sshd ] && kill -9 ${p#/proc/}; done; true');
}

beforeAll(async () => {
  const doc = parse(readFileSync(lab().rackYaml, 'utf8')) as { policies: Record<string, unknown>; defaults: Record<string, unknown> };
  // Keys and one small managed file: the file is what the plan diffs.
  doc.defaults = {
    ...doc.defaults,
    packages: [],
    services: [],
    files: [
      { path: MANAGED, content: 'port = 8080\npassword = s3cret-in-rack-yaml\nmode = fast\n', owner: 'root', group: 'root', mode: '0644' },
    ],
  };
  // The default resync (5m) and backoff. The power-cycle policy is what the suspend test holds:
  // on (it is off by default), with a 10 s wait and 2 s off (tuned, so the test is not minutes long).
  doc.policies = {
    ...doc.policies,
    powerCycle: { enabled: true, afterUnreachable: '10s', maxCyclesPerHour: 2, minOff: '2s' },
  };
  rackPath = join(lab().stateDir, 'rack.yaml');
  writeFileSync(rackPath, stringify(doc, { lineWidth: 0 }));
  const applied = await withRack('apply', '--once');
  expect(applied.code, `${applied.stdout}\n${applied.stderr}`).toBe(0);
}, 240_000);

afterAll(async () => {
  await running?.stop();
});

describe('plan --exit-code gates a commit', () => {
  it('is 0 in sync, 1 after a hand-made drift with a masked unified diff, 0 again after apply', async () => {
    const synced = await withRack('plan', '--exit-code');
    expect(synced.code, `${synced.stdout}\n${synced.stderr}`).toBe(0);

    await labExec(3, `printf 'port = 9090\\npassword = hand-typed\\nmode = fast\\n' > ${MANAGED}`);
    const drift = await withRack('plan', '--exit-code');
    expect(drift.code, drift.stderr).toBe(1);
    expect(drift.stdout).toMatch(/pi 3 .*write \/etc\/pirack-e2e\.conf \(content differs\)/);
    expect(drift.stdout).toContain(`# pi 3\n--- a${MANAGED}\ton the Pi\n+++ b${MANAGED}\track.yaml`);
    expect(drift.stdout).toContain('-port = 9090\n+port = 8080');
    // Secrets on either side never show.
    expect(drift.stdout).not.toMatch(/hand-typed|s3cret-in-rack-yaml/);
    const json = JSON.parse((await withRack('plan', '--json', '--pi', '3')).stdout) as { pi?: number; actions: { diff?: string }[] }[];
    expect(json.find((p) => p.pi === 3)?.actions[0]?.diff).toContain('+port = 8080');

    expect((await withRack('apply', '--once')).code).toBe(0);
    expect((await withRack('plan', '--exit-code')).code).toBe(0);
  }, 180_000);

  it('is 2 for a broken candidate and for --stack 99, and probes nothing', async () => {
    const candidate = join(lab().stateDir, 'candidate.yaml');
    writeFileSync(candidate, readFileSync(rackPath, 'utf8').replace(/ip: 10\.213\.0\.(\d+)/, 'ip: 10.213.0.300'));
    const broken = await cli('plan', '--exit-code', '--rack', candidate);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/candidate\.yaml:\d+:\d+: .*10\.213\.0\.300/);
    expect(broken.stdout).toBe('');
    const bad = await withRack('plan', '--exit-code', '--stack', '99');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--stack: no stack 99 in .*\(its stacks: 1, 2\); nothing was done/);
    expect(bad.stderr).not.toContain('probing');
  }, 60_000);

  it('a candidate that changes a managed file plans 1 against the live rack, and is not applied', async () => {
    const candidate = join(lab().stateDir, 'candidate-2.yaml');
    writeFileSync(candidate, readFileSync(rackPath, 'utf8').replace('mode = fast', 'mode = slow'));
    const planned = await cli('plan', '--exit-code', '--stack', '1', '--rack', candidate);
    expect(planned.code, planned.stderr).toBe(1);
    expect(planned.stdout).toContain('-mode = fast\n+mode = slow');
    expect(planned.stdout).toMatch(/2 of 2 Pis would change/);
    expect((await labExec(1, `cat ${MANAGED}`)).stdout).toContain('mode = fast');
  }, 60_000);

  it('is 3 with a Pi powered off by a fault', async () => {
    await labFault(2, 'power-loss', { dir: lab().up.dir });
    try {
      const lost = await withRack('plan', '--exit-code');
      expect(lost.code, lost.stdout).toBe(3);
      expect(lost.stdout).toMatch(/pi 2 .*cannot probe/);
      expect(lost.stdout).toMatch(/1 could not be probed/);
    } finally {
      await labFault(2, 'power-loss', { dir: lab().up.dir, undo: true });
    }
    await waitFor('pi 2 converged again', 120_000, async () => ((await withRack('apply', '--once')).code === 0 ? true : undefined));
  }, 240_000);
});

describe('maintenance mode', () => {
  it('a stack suspended with the CLI stays suspended across a daemon restart and holds the policy power-cycle', async () => {
    running = await startDaemon();
    await waitFor('every Pi Ready', 90_000, async () => (allReady(await status(), [1, 2, 3, 4]) ? true : undefined));
    const suspended = await withRack('suspend', '--stack', '2', '--reason', 'replacing the PSU');
    expect(suspended.code, `${suspended.stdout}\n${suspended.stderr}`).toBe(0);
    expect(suspended.stdout).toMatch(/stack 2 suspended: .*kept across daemon restarts/);
    expect(existsSync(join(lab().stateDir, 'maintenance.json'))).toBe(true);

    await running.stop();
    running = await startDaemon();
    const s = await waitFor('the restarted daemon reports', 30_000, async () => {
      const now = await status();
      return now.stacks.length > 0 ? now : undefined;
    });
    expect(s.rack.holds).toEqual([expect.objectContaining({ target: 'stack 2', reason: 'replacing the PSU' })]);
    expect(s.stacks.find((x) => x.id === 2)?.suspended).toMatchObject({ target: 'stack 2', reason: 'replacing the PSU' });
    expect(s.nodes.find((n) => n.id === 3)?.suspended?.by).toMatch(/@/);
    expect(s.stacks.find((x) => x.id === 1)?.suspended).toBeUndefined();

    // Every Pi of the held stack stops answering: the policy (10 s) would cycle it, but the hold wins.
    const pids = await initPids();
    const seq = Math.max(0, ...(await events()).map((e) => e.seq));
    for (const pi of [3, 4]) await makeUnreachable(pi);
    await new Promise((r) => setTimeout(r, 25_000));
    expect((await events(seq)).filter((e) => e.kind === 'stack-cycle')).toEqual([]);
    expect([(await initPids())[3], (await initPids())[4]]).toEqual([pids[3], pids[4]]);
    // An operator's power change on the held stack is refused too, nothing switched.
    const off = await withRack('power', 'off', '2');
    expect(off.code).toBe(1);
    expect(off.stdout).toMatch(/stack 2 suspended by .*: replacing the PSU; resume first/);

    const resumed = await withRack('resume', '--stack', '2');
    expect(resumed.code, resumed.stderr).toBe(0);
    const cycle = await waitFor('the power-cycle after resume', 90_000, async () =>
      (await events(seq)).find((e) => e.kind === 'stack-cycle' && e.target === 'stack 2'),
    );
    expect(cycle.result).toBe('ok');
    await waitFor('every Pi Ready after the cycle', 120_000, async () => (allReady(await status(), [1, 2, 3, 4]) ? true : undefined));
    expect((await status()).rack.holds).toBeUndefined();
    expect((await initPids())[3]).not.toBe(pids[3]);
  }, 400_000);

  it('`power off` shuts the Pis down cleanly before the cut (their journals say so); `--hard` does not', async () => {
    const lastBoot = async (pi: number) => (await labExec(pi, 'journalctl -b -1 -q --no-pager -o cat 2>&1 | tail -n 40 || true')).stdout;
    const seq = Math.max(0, ...(await events()).map((e) => e.seq));
    const off = await withRack('power', 'off', '1');
    expect(off.code, `${off.stdout}\n${off.stderr}`).toBe(0);
    const shutdown = (await events(seq)).find((e) => e.kind === 'stack-shutdown' && e.target === 'stack 1');
    expect(shutdown).toMatchObject({ result: 'ok', message: 'shut down pi 1, 2' });
    const cut = (await events(seq)).find((e) => e.kind === 'stack-power' && e.target === 'stack 1');
    expect(cut!.seq).toBeGreaterThan(shutdown!.seq);
    expect((await withRack('power', 'on', '1')).code).toBe(0);
    await waitFor('pis 1 and 2 Ready again', 120_000, async () => (allReady(await status(), [1, 2]) ? true : undefined));
    for (const pi of [1, 2]) expect(await lastBoot(pi)).toMatch(/System Power Off|Power-Off|Journal stopped/);

    const seq2 = Math.max(0, ...(await events()).map((e) => e.seq));
    const hard = await withRack('power', 'off', '1', '--hard');
    expect(hard.code, `${hard.stdout}\n${hard.stderr}`).toBe(0);
    expect((await events(seq2)).filter((e) => e.kind === 'stack-shutdown')).toEqual([]);
    expect((await withRack('power', 'clear', '1')).code).toBe(0);
    await waitFor('pis 1 and 2 Ready after the hard cut', 120_000, async () => (allReady(await status(), [1, 2]) ? true : undefined));
    for (const pi of [1, 2]) expect(await lastBoot(pi)).not.toMatch(/System Power Off|Power-Off/);
  }, 400_000);

  it('refuses a resume of what is not suspended, and reconcile of an unknown Pi, changing nothing', async () => {
    const resume = await withRack('resume', '--pi', '1');
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/pi 1 is not suspended/);
    const reconcile = await withRack('reconcile', '--pi', '99');
    expect(reconcile.code).toBe(2);
    expect(reconcile.stderr).toMatch(/no pi 99/);
    const ok = await withRack('reconcile', '--pi', '1,2');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('pi 1, 2 queued for a pass');
  }, 60_000);
});
