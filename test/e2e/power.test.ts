/**
 * Issue 4's "done means" for power, on the virtual rack with the `lab` relay and the in-process
 * daemon: a daemon restart switches no relay and reboots no Pi; the API's power off holds across
 * passes and on brings the stack back; the power-cycle policy brings back a stack whose Pis all
 * stopped answering, and its rate limit holds the second cycle back, saying why.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Daemon } from '../../src/daemon/daemon.ts';
import { createLabRelay, labExec, labFault, labStatus, readState } from '../../src/lab/index.ts';
import type { RackEvent, StatusReport } from '../../src/model/status.ts';
import { captureLog } from '../support/captured-log.ts';
import { useLab } from '../support/lab.ts';
import { waitUntil } from '../support/wait.ts';

// The root-login lab (the original's racks): this suite predates the stock-OS default and logs in as root;
// test/e2e/stock-os.test.ts covers the sudo user.
const lab = useLab({ stacks: 2, perStack: 2, poweredStacks: [1], rootLogin: true });

let daemon: Daemon | undefined;
const captured = captureLog();
/** Stack 1 on, stack 2 off; power-cycle after 10 s unreachable, at most once an hour. */
let rackA = '';
/** The same with both stacks on. */
let rackB = '';

function startDaemon(): Daemon {
  const log = captured.log;
  const stateDir = lab().stateDir;
  return new Daemon({ stateDir, log });
}

async function offer(d: Daemon, path: string): Promise<void> {
  await d.offer({ revision: path.endsWith('rack-b.yaml') ? 'power-b' : 'power-a', text: readFileSync(path, 'utf8'), path });
}

function lastLogLines(): string {
  return captured.tail(25);
}

const waitFor = <T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> =>
  waitUntil(what, timeoutMs, check, { every: 500, context: lastLogLines });

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ready(status: StatusReport, ids: readonly number[]): boolean {
  return ids.every((id) => status.nodes.find((n) => n.id === id)?.conditions.find((c) => c.type === 'Ready')?.status === 'True');
}

async function initPids(): Promise<Record<number, number | undefined>> {
  const state = await readState(lab().up.dir);
  return Object.fromEntries((state?.pis ?? []).map((p) => [p.id, p.init?.pid]));
}

async function piStates(): Promise<string[]> {
  return (await labStatus({ dir: lab().up.dir })).pis.map((p) => p.state);
}

async function relayLevels(): Promise<string[]> {
  const relay = createLabRelay({ dir: lab().up.dir });
  return [await relay.read(1), await relay.read(2)];
}

const switching = (events: readonly RackEvent[]) =>
  events.filter((e) => e.kind.startsWith('stack-power') || e.kind === 'stack-cycle' || e.kind.startsWith('power-'));
const lastSeq = (d: Daemon) => Math.max(0, ...d.events().map((e) => e.seq));

/** Stops sshd and drops its open sessions too (the daemon keeps one connection per Pi). */
async function makeUnreachable(pi: number): Promise<void> {
  await labFault(pi, 'sshd-stopped', { dir: lab().up.dir });
  await labExec(pi, 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = sshd ] && kill -9 ${p#/proc/}; done; true');
}

beforeAll(() => {
  const doc = parse(readFileSync(lab().rackYaml, 'utf8')) as {
    stacks: { power: string }[];
    policies: Record<string, unknown>;
    defaults: Record<string, unknown>;
  };
  // Only keys to converge: these tests are about power, and a Pi is Ready once its key is in.
  doc.defaults = { ...doc.defaults, packages: [], files: [], services: [] };
  doc.policies = {
    ...doc.policies,
    resyncInterval: '5s',
    backoff: { base: '1s', max: '4s' },
    powerCycle: { enabled: true, afterUnreachable: '10s', maxCyclesPerHour: 1, minOff: '2s' },
  };
  doc.stacks[0]!.power = 'on';
  doc.stacks[1]!.power = 'off';
  rackA = join(lab().stateDir, 'rack-a.yaml');
  writeFileSync(rackA, stringify(doc, { lineWidth: 0 }));
  doc.stacks[1]!.power = 'on';
  rackB = join(lab().stateDir, 'rack-b.yaml');
  writeFileSync(rackB, stringify(doc, { lineWidth: 0 }));
});

afterAll(async () => {
  await daemon?.close();
});

describe('power on the virtual rack', () => {
  it('switches no relay and reboots no Pi at daemon start or restart', async () => {
    const pids = await initPids();
    expect(await relayLevels()).toEqual(['on', 'off']);
    expect(pids[1]).toBeDefined();
    expect(pids[3]).toBeUndefined();

    daemon = startDaemon();
    await offer(daemon, rackA);
    await waitFor('pis 1 and 2 Ready', 60_000, () => (ready(daemon!.status(), [1, 2]) ? true : undefined));
    await pause(11_000); // at least two rack-level passes
    expect(daemon.status().stacks.map((s) => [s.id, s.desiredPower, s.power])).toEqual([
      [1, 'on', 'on'],
      [2, 'off', 'off'],
    ]);
    const before = lastSeq(daemon);
    await daemon.close();

    daemon = startDaemon();
    await offer(daemon, rackA);
    await waitFor('pis 1 and 2 Ready after the restart', 60_000, () => (ready(daemon!.status(), [1, 2]) ? true : undefined));
    await pause(11_000);
    expect(daemon.events(before).some((e) => e.kind === 'revision-applied')).toBe(true);
    expect(switching(daemon.events())).toEqual([]);
    expect(await relayLevels()).toEqual(['on', 'off']);
    expect(await initPids()).toEqual(pids);
  }, 120_000);

  it('keeps an operator power off across passes, and power on brings the stack back', async () => {
    const off = await daemon!.power({ scope: 'stack', id: 1 }, 'off');
    expect(off, off.message).toMatchObject({ ok: true });
    expect(await piStates()).toEqual(['off', 'off', 'off', 'off']);
    const seq = lastSeq(daemon!);
    // Passes that would switch it back without the override; long enough for its Pis to count as
    // unreachable for more than the policy's 10 s.
    await pause(15_000);
    expect(await piStates()).toEqual(['off', 'off', 'off', 'off']);
    expect(switching(daemon!.events(seq))).toEqual([]);
    expect(daemon!.status().stacks.find((s) => s.id === 1)?.power).toBe('off');

    const on = await daemon!.power({ scope: 'stack', id: 1 }, 'on');
    expect(on, on.message).toMatchObject({ ok: true });
    expect((await piStates()).slice(0, 2)).toEqual(['running', 'running']);
    await waitFor('pis 1 and 2 Ready after power on', 60_000, () => (ready(daemon!.status(), [1, 2]) ? true : undefined));
    expect(daemon!.events(seq).map((e) => e.kind)).toContain('power-on');
    // Booting Pis of a stack that just came on are not "all unreachable for 10 s": no cycle.
    await pause(6_000);
    expect(daemon!.events(seq).filter((e) => e.kind === 'stack-cycle')).toEqual([]);
  }, 120_000);

  it('power-cycles a stack whose Pis all stopped answering, once, then holds back by its rate limit', async () => {
    await offer(daemon!, rackB);
    await waitFor('every Pi Ready with stack 2 on', 90_000, () => (ready(daemon!.status(), [1, 2, 3, 4]) ? true : undefined));
    const seq = lastSeq(daemon!);
    const pids = await initPids();

    for (const pi of [3, 4]) await makeUnreachable(pi);
    const cycle = await waitFor('a power-cycle of stack 2', 60_000, () => daemon!.events(seq).find((e) => e.kind === 'stack-cycle'));
    expect(cycle).toMatchObject({ target: 'stack 2', result: 'ok' });
    expect(cycle.message).toMatch(/all 2 Pis unreachable for \d+s \(policy: after 10s\); cycle 1 of at most 1 this hour/);

    // A cycle is a hard reboot: sshd comes back with the Pis, the other stack is untouched.
    await waitFor('every Pi Ready after the cycle', 90_000, () => (ready(daemon!.status(), [1, 2, 3, 4]) ? true : undefined));
    const after = await initPids();
    expect([after[1], after[2]]).toEqual([pids[1], pids[2]]);
    expect(after[3]).not.toBe(pids[3]);
    expect(after[4]).not.toBe(pids[4]);

    const seq2 = lastSeq(daemon!);
    for (const pi of [3, 4]) await makeUnreachable(pi);
    const held = await waitFor('the held-back cycle reported', 60_000, () =>
      daemon!.events(seq2).find((e) => e.kind === 'stack-cycle-held'),
    );
    expect(held).toMatchObject({ target: 'stack 2', result: 'info' });
    expect(held.message).toMatch(/rate limit: 1 cycles in the last hour/);
    await pause(11_000); // two more passes: still no cycle
    expect(daemon!.events(seq2).filter((e) => e.kind === 'stack-cycle')).toEqual([]);
    expect(await initPids()).toEqual(after);
    expect(daemon!.status().stacks.find((s) => s.id === 2)?.health).toBe('ko');

    // The hour's allowance is kept in the state dir: a restarted daemon holds back too.
    const seq3 = lastSeq(daemon!);
    await daemon!.close();
    daemon = startDaemon();
    await offer(daemon, rackB);
    const heldAgain = await waitFor('the held-back cycle reported after a restart', 60_000, () =>
      daemon!.events(seq3).find((e) => e.kind === 'stack-cycle-held'),
    );
    expect(heldAgain.message).toMatch(/rate limit: 1 cycles in the last hour/);
    expect(daemon.events(seq3).filter((e) => e.kind === 'stack-cycle')).toEqual([]);
    expect(await initPids()).toEqual(after);
  }, 240_000);
});
