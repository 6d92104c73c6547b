/**
 * Issue 14, `pirack replace`, on the virtual rack with real dnsmasq, OpenSSH and systemd: a new Pi
 * in slot 1 (new MAC, blank card so new host keys: `labSwap`) is found by its DHCP lease, bound to
 * pi 1's fixed IP, its host key pinned with the confirmation recorded, rebooted onto its fixed IP,
 * and converged to Ready by the running daemon, while stack 2 is untouched (its relay never
 * switched, its Pis keep their boot). A Pi that is Ready is refused without --force, with nothing
 * changed. The Pis' MACs live in bindings.json (not rack.yaml), as after an enlistment.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { serveDaemon, type RunningDaemon } from '../../src/daemon/serve.ts';
import { writeBindings } from '../../src/dhcp/bindings.ts';
import { labExec, labMac, labSwap, readState } from '../../src/lab/index.ts';
import { createLogger } from '../../src/log.ts';
import type { RackEvent, StatusReport } from '../../src/model/status.ts';
import { createFileSource } from '../../src/source/file.ts';
import { allReady, daemonApi } from '../support/daemon-api.ts';
import { runCli } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';
import { freePort, waitUntil } from '../support/wait.ts';

const lab = useLab({ stacks: 2, perStack: 2 });

let rackPath = '';
let running: RunningDaemon | undefined;
let logText = '';

const cli = (...rest: string[]) => runCli([...rest, '--state-dir', lab().stateDir, '--rack', rackPath], { timeoutMs: 600_000 });
const context = () => logText.trim().split('\n').slice(-15).join('\n');
const waitFor = <T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> =>
  waitUntil(what, ms, check, { every: 1000, context });

const api = daemonApi(() => running!);
const status = async () => (await api<StatusReport>('GET', '/api/v1/status')).body;
const events = async (after = 0) => (await api<{ events: RackEvent[] }>('GET', `/api/v1/events?after=${after}`)).body.events;
const stateFile = (name: string) => readFileSync(join(lab().stateDir, name), 'utf8');

async function initPids(): Promise<Record<number, number | undefined>> {
  const state = await readState(lab().up.dir);
  return Object.fromEntries((state?.pis ?? []).map((p) => [p.id, p.init?.pid]));
}
const bootId = async (pi: number) => (await labExec(pi, 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();

beforeAll(async () => {
  const doc = parse(readFileSync(lab().rackYaml, 'utf8')) as {
    stacks: { pis: { mac?: string }[] }[];
    defaults: Record<string, unknown>;
  };
  // MACs from enlistment (bindings.json), as `replace` needs: a MAC pinned in rack.yaml is changed there.
  for (const stack of doc.stacks) for (const pi of stack.pis) delete pi.mac;
  doc.defaults = { ...doc.defaults, packages: [], files: [], services: [] };
  // The default resync (5m) and backoff: replace queues the Pi's pass itself.
  rackPath = join(lab().stateDir, 'rack.yaml');
  writeFileSync(rackPath, stringify(doc, { lineWidth: 0 }));
  const at = new Date().toISOString();
  await writeBindings(
    lab().stateDir,
    Object.fromEntries([1, 2, 3, 4].map((id) => [id, { mac: labMac(id), stack: id <= 2 ? 1 : 2, boundAt: at }])),
  );
  const destination = new Writable({
    write(chunk, _enc, done) {
      logText += String(chunk);
      done();
    },
  });
  running = await serveDaemon({
    source: createFileSource({ path: rackPath }),
    stateDir: lab().stateDir,
    log: createLogger({ level: 'info', pretty: false, destination }),
    http: { host: '127.0.0.1', port: await freePort(), readAccess: 'authenticated' },
  });
  await waitFor('every Pi Ready', 180_000, async () => (allReady(await status(), [1, 2, 3, 4]) ? true : undefined));
}, 300_000);

afterAll(async () => {
  await running?.stop();
});

describe('pirack replace', () => {
  it('refuses a Pi that is Ready without --force, and changes nothing', async () => {
    const before = { bindings: stateFile('bindings.json'), pins: stateFile('known-hosts.json') };
    const seq = Math.max(0, ...(await events()).map((e) => e.seq));
    const refused = await cli('replace', '1', '--yes', '--window', '5s');
    expect(refused.code, `${refused.stdout}\n${refused.stderr}`).toBe(2);
    expect(refused.stderr).toMatch(/PIRACK_ERR_REPLACE_REFUSED|pi 1 is not dead: .*answers with its pinned host key/);
    expect(refused.stderr).toContain('--force');
    expect(stateFile('bindings.json')).toBe(before.bindings);
    expect(stateFile('known-hosts.json')).toBe(before.pins);
    expect((await status()).nodes.find((n) => n.id === 1)?.suspended).toBeUndefined();
    // Not even a passing hold: the refusal comes before the daemon is asked for anything.
    expect((await events(seq)).filter((e) => e.kind === 'suspended' || e.kind === 'pi-replaced')).toEqual([]);
  }, 60_000);

  it('moves pi 1 to a new Pi in its slot (new MAC, new host key): Ready again, stack 2 untouched', async () => {
    const pinsBefore = JSON.parse(stateFile('known-hosts.json')) as { nodes: Record<string, { fingerprint: string }> };
    const oldFingerprint = pinsBefore.nodes['1']!.fingerprint;
    const pids = await initPids();
    const boots = { 3: await bootId(3), 4: await bootId(4) };
    const seq = Math.max(0, ...(await events()).map((e) => e.seq));

    const swapped = await labSwap(1, { dir: lab().up.dir });
    expect(swapped).toMatchObject({ oldMac: labMac(1), newMac: 'b8:27:eb:01:00:01', booted: true });

    const replaced = await cli('replace', '1', '--yes', '--window', '120s', '--timeout', '240s');
    expect(replaced.code, `${replaced.stdout}\n${replaced.stderr}\n${context()}`).toBe(0);
    expect(replaced.stdout).toMatch(/pi 1 replaced: MAC b8:27:eb:00:00:01 → b8:27:eb:01:00:01, host key SHA256:\S+ → SHA256:\S+ .*; Ready/);
    expect(replaced.stderr).toMatch(/holding pi 1/);

    const bindings = JSON.parse(stateFile('bindings.json')) as { bindings: Record<string, { mac: string }> };
    expect(bindings.bindings['1']!.mac).toBe('b8:27:eb:01:00:01');
    expect(bindings.bindings['3']!.mac).toBe(labMac(3));
    const pins = JSON.parse(stateFile('known-hosts.json')) as { nodes: Record<string, { fingerprint: string; quarantine?: unknown }> };
    expect(pins.nodes['1']!.fingerprint).not.toBe(oldFingerprint);
    expect(pins.nodes['1']!.quarantine).toBeUndefined();
    expect(pins.nodes['3']).toEqual(pinsBefore.nodes['3']);
    const hosts = readFileSync(join(lab().up.dir, 'dhcp-hosts'), 'utf8');
    expect(hosts).toContain(`b8:27:eb:01:00:01,10.213.0.11\n`);
    expect(hosts).not.toContain(labMac(1));

    const s = await status();
    expect(allReady(s, [1, 2, 3, 4])).toBe(true);
    expect(s.nodes.find((n) => n.id === 1)?.suspended).toBeUndefined();
    const after = await events(seq);
    const confirmation = after.find((e) => e.kind === 'pi-replaced');
    expect(confirmation?.message).toMatch(/confirmed by .*@.* \(--yes\): MAC b8:27:eb:00:00:01 → b8:27:eb:01:00:01, host key SHA256:/);
    expect(confirmation?.message).toContain(oldFingerprint);
    // Neither stack's relay switched: only the new Pi rebooted (no stack event at all).
    expect(after.filter((e) => e.kind.startsWith('stack-') || e.kind.startsWith('enlist'))).toEqual([]);
    const pidsAfter = await initPids();
    expect([pidsAfter[2], pidsAfter[3], pidsAfter[4]]).toEqual([pids[2], pids[3], pids[4]]);
    expect({ 3: await bootId(3), 4: await bootId(4) }).toEqual(boots);
  }, 600_000);
});
