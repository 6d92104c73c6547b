/**
 * Issue 13's behaviour on the virtual rack, through a daemon serving its API (in this process,
 * so `daemon.json` names a live pid): an API power override is seen by the node loop (the Pis of
 * the stack show PoweredOff, not Unreachable) and by `status`, with who set it; `pirack power`
 * while the daemon runs goes through the daemon; `GET /api/v1/plan` (with auth) neither probes
 * nor writes anything.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { serveDaemon, type RunningDaemon } from '../../src/daemon/serve.ts';
import { readDaemonRecord } from '../../src/daemon/daemon-file.ts';
import { labStatus } from '../../src/lab/index.ts';
import type { StatusReport } from '../../src/model/status.ts';
import { createFileSource } from '../../src/source/file.ts';
import { captureLog } from '../support/captured-log.ts';
import { allReady, daemonApi } from '../support/daemon-api.ts';
import { runCli } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';
import { freePort, waitUntil } from '../support/wait.ts';

// The root-login lab (the original's racks): this suite predates the stock-OS default and logs in as root;
// test/e2e/stock-os.test.ts covers the sudo user.
const lab = useLab({ stacks: 2, perStack: 2, rootLogin: true });

let running: RunningDaemon | undefined;
let rackPath = '';
const captured = captureLog();

const context = () => captured.tail(20);
const waitFor = <T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> =>
  waitUntil(what, ms, check, { every: 500, context });

const api = daemonApi(() => running!);

const status = async () => (await api<StatusReport>('GET', '/api/v1/status')).body;
const reachable = (s: StatusReport, id: number) => s.nodes.find((n) => n.id === id)?.conditions.find((c) => c.type === 'Reachable');
const piStates = async () => (await labStatus({ dir: lab().up.dir })).pis.map((p) => p.state);

beforeAll(async () => {
  const doc = parse(readFileSync(lab().rackYaml, 'utf8')) as { policies: Record<string, unknown>; defaults: Record<string, unknown> };
  // Only keys to converge: these tests are about the loop, and a Pi is Ready once its key is in.
  doc.defaults = { ...doc.defaults, packages: [], files: [], services: [] };
  doc.policies = { ...doc.policies, backoff: { base: '1s', max: '4s' } };
  rackPath = join(lab().stateDir, 'rack.yaml');
  writeFileSync(rackPath, stringify(doc, { lineWidth: 0 }));
  const log = captured.log;
  running = await serveDaemon({
    source: createFileSource({ path: rackPath }),
    stateDir: lab().stateDir,
    log,
    http: { host: '127.0.0.1', port: await freePort(), readAccess: 'authenticated' },
  });
  await waitFor('every Pi Ready', 90_000, async () => (allReady(await status(), [1, 2, 3, 4]) ? true : undefined));
}, 150_000);

afterAll(async () => {
  await running?.stop();
});

describe('one loop for the whole rack, on the virtual rack', () => {
  it('an API power off is an override the node loop sees: its Pis are PoweredOff, and status says who set it', async () => {
    const off = await api<{ ok: boolean; message: string }>('POST', '/api/v1/stacks/2/power', { op: 'off' });
    expect(off.status, off.body.message).toBe(200);
    expect(await piStates()).toEqual(['running', 'running', 'off', 'off']);
    // Passes of Pis 3 and 4 (the resync is 5 m: ask for them) say PoweredOff, never Unreachable.
    await api('POST', '/api/v1/reconcile');
    const s = await waitFor('pis 3 and 4 PoweredOff', 30_000, async () => {
      const now = await status();
      return [3, 4].every((id) => reachable(now, id)?.reason === 'PoweredOff') ? now : undefined;
    });
    expect(reachable(s, 3)).toMatchObject({ status: 'False', reason: 'PoweredOff', message: 'its stack is powered off by the API' });
    expect(s.rack.counts.unreachable).toBe(2);
    const stack = s.stacks.find((x) => x.id === 2)!;
    expect(stack).toMatchObject({ desiredPower: 'off', power: 'off', override: { power: 'off', by: 'the API', rackYamlPower: 'on' } });
    expect(Date.parse(stack.override!.at)).toBeGreaterThan(Date.now() - 120_000);
    // The override is kept in the state dir, so a restart keeps it too.
    expect(JSON.parse(readFileSync(join(lab().stateDir, 'operator.json'), 'utf8'))).toMatchObject({
      overrides: [{ stack: 2, power: 'off', by: 'the API' }],
    });
    // Several stack passes later the loop has not switched it back.
    await new Promise((r) => setTimeout(r, 11_000));
    expect(await piStates()).toEqual(['running', 'running', 'off', 'off']);
  }, 90_000);

  it('`pirack power` while the daemon runs goes through the daemon', async () => {
    expect((await readDaemonRecord(lab().stateDir))?.pid).toBe(process.pid);
    const before = (await api<{ events: { seq: number }[] }>('GET', '/api/v1/events')).body.events.at(-1)?.seq ?? 0;
    const result = await runCli(['power', 'on', '2', '--rack', rackPath, '--state-dir', lab().stateDir]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stderr).toContain(`a daemon runs on ${lab().stateDir} (pid ${process.pid}): asking it`);
    expect(result.stdout).toContain('stack 2: power on done');
    // The daemon itself switched it and logged it as an API operation; the override now says on.
    const events = (await api<{ events: { kind: string; target: string; message: string }[] }>('GET', `/api/v1/events?after=${before}`))
      .body.events;
    expect(events.filter((e) => e.kind === 'power-on').map((e) => e.target)).toEqual(['stack 2']);
    expect(events.some((e) => e.kind === 'stack-power' && e.target === 'stack 2')).toBe(true);
    expect((await piStates()).slice(2)).toEqual(['running', 'running']);
    expect((await status()).stacks.find((x) => x.id === 2)?.override).toMatchObject({ power: 'on', by: 'the API' });
    await waitFor('pis 3 and 4 Ready again', 90_000, async () => (allReady(await status(), [3, 4]) ? true : undefined));
    // `power clear` lifts the override: back to rack.yaml's power.
    const cleared = await runCli(['power', 'clear', '2', '--rack', rackPath, '--state-dir', lab().stateDir]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect((await status()).stacks.find((x) => x.id === 2)?.override).toBeUndefined();
  }, 150_000);

  it('`pirack apply --once` while the daemon runs asks the daemon and reports its verdict', async () => {
    const result = await runCli(['apply', '--once', '--rack', rackPath, '--state-dir', lab().stateDir]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain(`all 4 Pis match rack.yaml (converged by the daemon, pid ${process.pid})`);
  }, 120_000);

  it('GET /api/v1/plan (with auth) neither probes nor writes anything', async () => {
    // Hold the loop so nothing else moves while we look; the plan must not need it.
    expect((await api('POST', '/api/v1/suspend')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_000)); // passes running at the suspend finish
    const metrics = async () =>
      (await fetch(new URL('/metrics', running!.url), { headers: { authorization: `Bearer ${running!.token!.token}` } })).text();
    const passes = (text: string) =>
      text
        .split('\n')
        .filter((l) => /^pirack_reconcile_pass_duration_seconds_(count|sum)/.test(l))
        .join('\n');
    const before = {
      status: await status(),
      events: (await api<{ events: unknown[] }>('GET', '/api/v1/events')).body.events.length,
      metrics: passes(await metrics()),
      file: statSync(join(lab().stateDir, 'status.json')).mtimeMs,
    };
    const plan = await api<{ plan: { target: string; kind: string }[] }>('GET', '/api/v1/plan');
    expect(plan.status).toBe(200);
    // Every Pi is converged: no Pi has anything planned, stacks and the rack neither.
    expect(plan.body.plan).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_500));
    const after = await status();
    expect(after.generatedAt).toBe(before.status.generatedAt);
    expect(after.rack.lastPassAt).toBe(before.status.rack.lastPassAt);
    expect(after.nodes.map((n) => n.lastSeen)).toEqual(before.status.nodes.map((n) => n.lastSeen));
    expect((await api<{ events: unknown[] }>('GET', '/api/v1/events')).body.events.length).toBe(before.events);
    expect(passes(await metrics())).toBe(before.metrics);
    expect(statSync(join(lab().stateDir, 'status.json')).mtimeMs).toBe(before.file);
    // Without auth it is refused, when reads need it.
    expect((await fetch(new URL('/api/v1/plan', running!.url))).status).toBe(401);
    expect((await api('POST', '/api/v1/resume')).status).toBe(200);
  }, 60_000);
});
