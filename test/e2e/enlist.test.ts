/**
 * Issue 4's "done means" for enlistment, on the virtual rack with real dnsmasq: from an empty
 * inventory with every stack off, the in-process daemon enlists stack after stack, binds the MACs
 * it sees in the leases, writes the static DHCP entries, power-cycles, and every Pi ends on its
 * declared fixed address with the rack converged. The bindings survive a daemon restart, and a
 * released binding is enlisted again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Daemon } from '../../src/daemon/daemon.ts';
import { labExec, labIp, labMac, labStatus, readState } from '../../src/lab/index.ts';
import type { EnlistmentProgress, StatusReport } from '../../src/model/status.ts';
import { captureLog } from '../support/captured-log.ts';
import { runCli } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';
import { waitUntil } from '../support/wait.ts';

// The root-login lab (the original's racks): this suite predates the stock-OS default and logs in as root;
// test/e2e/stock-os.test.ts covers the sudo user.
const lab = useLab({ stacks: 2, perStack: 2, blankInventory: true, poweredStacks: [], rootLogin: true });
const PIS = [1, 2, 3, 4];

let rackPath = '';
let daemon: Daemon | undefined;
const captured = captureLog();
/** Every distinct enlistment progress the status showed, in order. */
const progressSeen: EnlistmentProgress[] = [];
let sampler: NodeJS.Timeout | undefined;

function startDaemon(): Daemon {
  const log = captured.log;
  const stateDir = lab().stateDir;
  const d = new Daemon({ stateDir, log });
  return d;
}

async function offerRack(d: Daemon): Promise<void> {
  await d.offer({ revision: 'enlist-e2e', text: readFileSync(rackPath, 'utf8'), path: rackPath });
}

function sample(): void {
  const progress = daemon?.status().rack.enlistment;
  if (!progress) return;
  const last = progressSeen[progressSeen.length - 1];
  if (!last || last.message !== progress.message || last.found !== progress.found || last.active !== progress.active)
    progressSeen.push(progress);
}

const waitFor = <T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> =>
  waitUntil(what, timeoutMs, check, { every: 500, context: lastLogLines });

function lastLogLines(): string {
  return captured.tail(25);
}

interface BindingsFile {
  version: number;
  bindings: Record<string, { mac: string; stack: number; boundAt: string }>;
}

function readBindingsFile(): BindingsFile | undefined {
  try {
    return JSON.parse(readFileSync(join(lab().stateDir, 'bindings.json'), 'utf8')) as BindingsFile;
  } catch {
    return undefined;
  }
}

function allReady(status: StatusReport): boolean {
  return status.nodes.length === PIS.length && status.nodes.every((n) => n.conditions.find((c) => c.type === 'Ready')?.status === 'True');
}

async function initPids(): Promise<Record<number, number | undefined>> {
  const state = await readState(lab().up.dir);
  return Object.fromEntries((state?.pis ?? []).map((p) => [p.id, p.init?.pid]));
}

beforeAll(() => {
  // The operator wants every stack on; they are off only because nothing is enlisted yet.
  const doc = parse(readFileSync(lab().rackYaml, 'utf8')) as { stacks: { power: string }[]; policies: Record<string, unknown> };
  for (const stack of doc.stacks) stack.power = 'on';
  doc.policies = {
    ...doc.policies,
    enlistWindow: '15s',
    resyncInterval: '10s',
    backoff: { base: '1s', max: '5s' },
    powerCycle: { enabled: false, afterUnreachable: '2m', maxCyclesPerHour: 2, minOff: '2s' },
  };
  rackPath = join(lab().stateDir, 'rack.yaml');
  writeFileSync(rackPath, stringify(doc, { lineWidth: 0 }));
  sampler = setInterval(sample, 200);
});

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  await daemon?.close();
});

describe('enlistment from an empty inventory with every stack off', () => {
  it('starts with every Pi off and no static DHCP entry', async () => {
    const status = await labStatus({ dir: lab().up.dir });
    expect(status.pis.map((p) => p.state)).toEqual(['off', 'off', 'off', 'off']);
    expect(readFileSync(join(lab().up.dir, 'dhcp-hosts'), 'utf8').trim()).toBe('');
    expect(readBindingsFile()).toBeUndefined();
  });

  it('enlists every stack, binds the MACs, and every Pi ends on its fixed IP', async () => {
    daemon = startDaemon();
    await offerRack(daemon);
    const bindings = await waitFor('4 bindings in bindings.json', 150_000, () => {
      const file = readBindingsFile();
      return file && Object.keys(file.bindings).length === 4 ? file.bindings : undefined;
    });
    // Stacks are enlisted one at a time, so a stack's Pis can only get its own MACs.
    expect(new Set([bindings['1']?.mac, bindings['2']?.mac])).toEqual(new Set([labMac(1), labMac(2)].map((m) => m.toLowerCase())));
    expect(new Set([bindings['3']?.mac, bindings['4']?.mac])).toEqual(new Set([labMac(3), labMac(4)].map((m) => m.toLowerCase())));
    expect(PIS.map((id) => bindings[String(id)]?.stack)).toEqual([1, 1, 2, 2]);

    // The hosts file dnsmasq reads names each bound MAC with its Pi's fixed address.
    const hosts = readFileSync(join(lab().up.dir, 'dhcp-hosts'), 'utf8');
    for (const id of PIS) expect(hosts.toLowerCase()).toContain(`${bindings[String(id)]!.mac},${labIp(id)}`);

    // Each Pi holds its declared address, and dnsmasq's lease for its MAC says so.
    for (const id of PIS) {
      const mac = bindings[String(id)]!.mac;
      await waitFor(`pi with MAC ${mac} on ${labIp(id)}`, 60_000, async () => {
        const status = await labStatus({ dir: lab().up.dir });
        const pi = status.pis.find((p) => p.mac.toLowerCase() === mac);
        if (pi?.state !== 'running' || pi.ip !== labIp(id)) return undefined;
        const addr = await labExec(pi.id, 'ip -4 -o addr show scope global');
        return addr.stdout.includes(` ${labIp(id)}/`) ? true : undefined;
      });
    }
  }, 240_000);

  it('showed its progress in the status report: stack k of n, found m of M', () => {
    const active = progressSeen.filter((p) => p.active);
    expect(active.length).toBeGreaterThan(0);
    expect(active.some((p) => p.stackIndex === 1 && p.stackCount === 2 && p.stack === 1)).toBe(true);
    expect(active.some((p) => p.stackIndex === 2 && p.stackCount === 2 && p.stack === 2)).toBe(true);
    expect(active.some((p) => p.stack === 2 && p.found === 2 && p.expected === 2)).toBe(true);
    expect(active.some((p) => /stack 1 of 2: found \d of 2 Pis/.test(p.message))).toBe(true);
    // While it watches the leases it says how long it has been at it and how long it will still wait.
    expect(active.some((p) => p.stack === 1 && p.remainingMs > 0 && p.remainingMs <= 15_000 && p.elapsedMs >= 0)).toBe(true);
    expect(
      daemon!
        .events()
        .filter((e) => e.kind === 'enlist-bound')
        .map((e) => e.target),
    ).toEqual(['stack 1', 'stack 2']);
  });

  it('converges the enlisted rack: every Pi Ready', async () => {
    await waitFor('every Pi Ready', 180_000, () => (allReady(daemon!.status()) ? true : undefined));
    for (const id of PIS) expect((await labExec(id, 'systemctl is-active pirack-slave.service')).stdout.trim()).toBe('active');
    expect(daemon!.status().rack.ready).toBe(true);
  }, 200_000);

  it('keeps the bindings across a daemon restart: no re-enlistment, no reboot', async () => {
    const before = readBindingsFile();
    const pidsBefore = await initPids();
    // The event log is kept in the state dir, so only events after the restart count.
    const lastSeq = Math.max(0, ...daemon!.events().map((e) => e.seq));
    await daemon!.close();
    daemon = startDaemon();
    progressSeen.length = 0;
    await offerRack(daemon);
    await waitFor('every Pi Ready after the restart', 60_000, () => (allReady(daemon!.status()) ? true : undefined));
    // Three rack-level passes (5 s apart) give the enlistment every chance to start, wrongly.
    await new Promise((r) => setTimeout(r, 12_000));
    expect(daemon.events(lastSeq).filter((e) => e.kind.startsWith('enlist') || e.kind.startsWith('stack-'))).toEqual([]);
    expect(daemon.events(lastSeq).some((e) => e.kind === 'revision-applied')).toBe(true);
    expect(progressSeen.filter((p) => p.active)).toEqual([]);
    expect(readBindingsFile()).toEqual(before);
    expect(await initPids()).toEqual(pidsBefore);
  }, 100_000);

  it('enlists a Pi again after `pirack enlist release`', async () => {
    const before = readBindingsFile()!;
    const released = await runCli(['enlist', 'release', '4', '--rack', rackPath, '--state-dir', lab().stateDir]);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toContain(`released ${before.bindings['4']!.mac}`);
    const after = await waitFor('pi 4 bound again', 90_000, () => {
      const b = readBindingsFile()?.bindings['4'];
      return b && b.boundAt !== before.bindings['4']!.boundAt ? b : undefined;
    });
    // Pi 3 keeps its MAC, so the only new MAC on stack 2 is the one just released.
    expect(after.mac).toBe(before.bindings['4']!.mac);
    expect(readBindingsFile()!.bindings['3']).toEqual(before.bindings['3']);
    await waitFor('every Pi Ready after re-enlisting', 90_000, () => (allReady(daemon!.status()) ? true : undefined));
  }, 200_000);
});
