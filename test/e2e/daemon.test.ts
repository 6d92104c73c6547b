/**
 * Issue 5's "done means" for the daemon, on the virtual rack: the REAL `pirack daemon` as a child
 * process following a git branch. Committed changes are applied within seconds, uncommitted ones
 * never; a broken commit changes nothing and is reported with file:line:column; status.json,
 * /metrics and the original's /api/v1.0 endpoints carry real data; mutations need the token; a
 * restart resumes from the last good revision even when the branch head is broken.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labExec, labIp, labMac } from '../../src/lab/index.ts';
import type { RackEvent, StatusReport } from '../../src/model/status.ts';
import { useLab } from '../support/lab.ts';
import { waitUntil, freePort } from '../support/wait.ts';

// The root-login lab (the original's racks): this suite predates the stock-OS default and logs in as root;
// test/e2e/stock-os.test.ts covers the sudo user.
const lab = useLab({ stacks: 2, perStack: 2, rootLogin: true });
const PIS = [1, 2, 3, 4];
const BIN = fileURLToPath(new URL('../../src/cli/pirack.mjs', import.meta.url));
const TOKEN = 'e2e-daemon-admin-token-0123456789abcdef';
const MARKER = '/etc/pirack-e2e-marker';

let work: string;
let repo: string;
let tokenFile: string;
let daemon: DaemonProcess | undefined;
let base: string;

interface DaemonProcess {
  readonly child: ChildProcess;
  readonly base: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined>, every = 250): Promise<T> =>
  waitUntil(what, ms, probe, { every, context: () => (daemon ? `--- daemon log tail ---\n${logTail(daemon.logFile)}` : '') });

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startDaemon(stateDir: string): Promise<DaemonProcess> {
  const port = await freePort();
  const logFile = join(work, `daemon-${Date.now()}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      BIN,
      'daemon',
      '--git',
      repo,
      '--branch',
      'main',
      '--state-dir',
      stateDir,
      '--listen',
      `127.0.0.1:${port}`,
      '--admin-token-file',
      tokenFile,
    ],
    {
      env: { ...process.env, PIRACK_LOG_LEVEL: 'info' },
      stdio: ['ignore', out, out],
    },
  );
  closeSync(out);
  let exited = false;
  const exit = new Promise<void>((done) =>
    child.once('exit', () => {
      exited = true;
      done();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const proc: DaemonProcess = {
    child,
    base: url,
    logFile,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([exit.then(() => true), sleep(15_000).then(() => false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
  await waitFor('the daemon to answer /healthz', 30_000, async () => {
    if (exited) throw new Error(`the daemon exited early:\n${logTail(logFile)}`);
    const res = await fetch(`${url}/healthz`);
    return res.ok ? true : undefined;
  });
  return proc;
}

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=PiRack e2e', '-c', 'user.email=e2e@pirack.invalid', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  }).trim();
}

function commit(text: string, message: string): string {
  writeFileSync(join(repo, 'rack.yaml'), text);
  git('commit', '-q', '-am', message);
  return git('rev-parse', 'HEAD');
}

async function status(): Promise<StatusReport> {
  const res = await fetch(`${base}/api/v1/status`);
  expect(res.status).toBe(200);
  return (await res.json()) as StatusReport;
}

async function onPi(pi: number, cmd: string): Promise<string> {
  return `${(await labExec(pi, cmd)).stdout}`.trim();
}

async function events(): Promise<RackEvent[]> {
  return ((await (await fetch(`${base}/api/v1/events`)).json()) as { events: RackEvent[] }).events;
}

/** The lab's rack.yaml as an object, with a short resync so repairs come within seconds. */
function baseRack(): Record<string, unknown> {
  const rack = parse(readFileSync(lab().rackYaml, 'utf8')) as Record<string, unknown> & { policies: Record<string, unknown> };
  rack.policies.resyncInterval = '3s';
  return rack;
}

function withHtop(rack: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(rack) as { defaults: { packages: { name: string }[] } };
  copy.defaults.packages.push({ name: 'htop' });
  return copy;
}

function withMarker(rack: Record<string, unknown>, content: string): Record<string, unknown> {
  const copy = structuredClone(rack) as { defaults: { files: Record<string, unknown>[] } };
  copy.defaults.files.push({ path: MARKER, content, owner: 'root', group: 'root', mode: '0644' });
  return copy;
}

const yamlOf = (rack: Record<string, unknown>) => stringify(rack, { lineWidth: 0 });

let initialRevision: string;
let htopRevision: string;
let fixedRevision: string;
let brokenHead: string;
let htopMarkerRack: Record<string, unknown>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pirack-e2e-daemon-'));
  repo = join(work, 'repo');
  tokenFile = join(work, 'admin-token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'rack.yaml'), yamlOf(baseRack()));
  git('add', 'rack.yaml');
  git('commit', '-q', '-m', 'the lab rack');
  initialRevision = git('rev-parse', 'HEAD');
  daemon = await startDaemon(lab().stateDir);
  base = daemon.base;
});

afterAll(async () => {
  await daemon?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('pirack daemon following a git branch on the virtual rack', () => {
  it('converges the fresh rack to the committed revision', async () => {
    const report = await waitFor(
      'every Pi Ready',
      240_000,
      async () => {
        const s = await status();
        return s.rack.ready && s.rack.counts.ready === 4 ? s : undefined;
      },
      1000,
    );
    expect(report.rack.lastAppliedRevision).toBe(initialRevision);
    expect(report.rack.lastAttemptedRevision).toBe(initialRevision);
    expect(report.rack.revisionErrors).toEqual([]);
    for (const pi of PIS) expect(await onPi(pi, 'systemctl is-active pirack-slave.service')).toBe('active');
  });

  it('never applies an uncommitted edit, and applies a commit within seconds', async () => {
    // The edit in the working tree only: the daemon must not see it (poll + resync both pass).
    writeFileSync(join(repo, 'rack.yaml'), yamlOf(withHtop(baseRack())));
    await sleep(7_000);
    expect((await status()).rack.lastAppliedRevision).toBe(initialRevision);
    expect(await onPi(1, 'command -v htop || echo none')).toBe('none');

    git('commit', '-q', '-am', 'install htop');
    htopRevision = git('rev-parse', 'HEAD');
    const started = Date.now();
    await waitFor('the htop commit to be applied', 15_000, async () =>
      (await status()).rack.lastAppliedRevision === htopRevision ? true : undefined,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    for (const pi of PIS) {
      await waitFor(
        `htop on pi ${pi}`,
        30_000,
        async () => ((await onPi(pi, 'command -v htop || true')) === '/usr/bin/htop' ? true : undefined),
        500,
      );
    }
    const s = await status();
    expect(s.rack.lastAttemptedRevision).toBe(htopRevision);
    expect(s.rack.revisionErrors).toEqual([]);
  });

  it('keeps the last good revision when a broken commit arrives, reports where, then applies the fix', async () => {
    htopMarkerRack = withMarker(withHtop(baseRack()), 'from the fixing commit\n');
    // A valid change (the marker file) and an address that is not an IPv4 address in one commit.
    const brokenText = yamlOf(withMarker(withHtop(baseRack()), 'from the broken commit\n')).replace(`ip: ${labIp(4)}`, 'ip: 10.213.0.300');
    expect(brokenText).toContain('10.213.0.300');
    const brokenLine = brokenText.split('\n').findIndex((l) => l.includes('10.213.0.300')) + 1;
    const broken = commit(brokenText, 'broken: bad address');

    const rejected = await waitFor('the broken commit to be attempted', 15_000, async () => {
      const s = await status();
      return s.rack.lastAttemptedRevision === broken ? s : undefined;
    });
    expect(rejected.rack.lastAppliedRevision).toBe(htopRevision);
    expect(rejected.rack.revisionErrors.length).toBeGreaterThan(0);
    expect(rejected.rack.revisionErrors.join('\n')).toMatch(new RegExp(`rack\\.yaml:${brokenLine}:\\d+: .*10\\.213\\.0\\.300`));
    expect((await events()).some((e) => e.kind === 'revision-rejected' && e.message.startsWith(broken))).toBe(true);

    // Two resync intervals later the Pis still carry nothing of the broken commit.
    await sleep(7_000);
    for (const pi of PIS) expect(await onPi(pi, `test -e ${MARKER} && echo present || echo absent`)).toBe('absent');
    expect((await status()).rack.lastAppliedRevision).toBe(htopRevision);

    fixedRevision = commit(yamlOf(htopMarkerRack), 'fix the address');
    const fixed = await waitFor('the fixing commit to be applied', 15_000, async () => {
      const s = await status();
      return s.rack.lastAppliedRevision === fixedRevision ? s : undefined;
    });
    expect(fixed.rack.lastAttemptedRevision).toBe(fixedRevision);
    expect(fixed.rack.revisionErrors).toEqual([]);
    for (const pi of PIS) {
      await waitFor(
        `the marker file on pi ${pi}`,
        30_000,
        async () => ((await onPi(pi, `cat ${MARKER} 2>/dev/null || true`)) === 'from the fixing commit' ? true : undefined),
        500,
      );
    }
  });

  it('writes status.json that matches the API, and serves /metrics', async () => {
    const api = await waitFor(
      'a settled, Ready rack',
      60_000,
      async () => {
        const s = await status();
        return s.rack.ready && s.rack.lastAppliedRevision === fixedRevision ? s : undefined;
      },
      500,
    );
    const file = await waitFor('status.json to catch up', 10_000, async () => {
      const s = JSON.parse(readFileSync(join(lab().stateDir, 'status.json'), 'utf8')) as StatusReport;
      return s.rack.lastAppliedRevision === fixedRevision && s.rack.ready ? s : undefined;
    });
    expect(file.rack.name).toBe(api.rack.name);
    expect(file.nodes.map((n) => [n.id, n.stack, n.observed.ip, n.observed.mac])).toEqual(
      api.nodes.map((n) => [n.id, n.stack, n.observed.ip, n.observed.mac]),
    );
    expect(file.stacks.map((s) => [s.id, s.power])).toEqual(api.stacks.map((s) => [s.id, s.power]));
    expect(file.nodes.every((n) => n.conditions.find((c) => c.type === 'Ready')?.status === 'True')).toBe(true);
    expect(JSON.stringify(file)).not.toContain(TOKEN);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^pirack_reconcile_pass_duration_seconds_count \d+/m);
    expect(metrics).toMatch(/^pirack_rack_ready 1$/m);
    expect(metrics).toMatch(/^pirack_actions_total\{[^}]*\} \d+/m);
    expect(metrics).toMatch(/^pirack_revision_rejected 0$/m);
  });

  it('answers the original /api/v1.0 endpoints with their shapes and real data', async () => {
    const rasps = (await (await fetch(`${base}/api/v1.0/rasps`)).json()) as { rasps: Record<string, unknown>[] };
    expect(rasps.rasps.map((r) => r.id)).toEqual(PIS);
    for (const r of rasps.rasps) {
      expect(Object.keys(r).sort()).toEqual(['Lping', 'Rstatus', 'cpu', 'id', 'ip', 'mac', 'power', 'stack', 'temperature']);
      expect(r).toMatchObject({
        ip: labIp(r.id as number),
        mac: labMac(r.id as number),
        stack: (r.id as number) <= 2 ? 1 : 2,
        power: 'On',
        Rstatus: 'okStatus',
      });
      expect(typeof r.cpu).toBe('number');
      expect(Number.isNaN(Date.parse(r.Lping as string))).toBe(false);
    }
    const stacks = (await (await fetch(`${base}/api/v1.0/stacks`)).json()) as { stacks: Record<string, unknown>[] };
    expect(stacks.stacks).toHaveLength(2);
    for (const s of stacks.stacks) {
      expect(Object.keys(s).sort()).toEqual(['Sstatus', 'id', 'power', 'x', 'y']);
      expect(s).toMatchObject({ power: 'On', Sstatus: 'okStatus' });
    }
    expect(stacks.stacks.map((s) => s.id)).toEqual([1, 2]);
  });

  it('runs an action through /api/v1.0/rasps/execute only with the token', async () => {
    const cpuEvents = async () => (await events()).filter((e) => e.kind === 'action-cpu').length;
    const before = await cpuEvents();
    const refused = await fetch(`${base}/api/v1.0/rasps/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 1, action: 'cpu' }),
    });
    expect(refused.status).toBe(401);
    const wrong = await fetch(`${base}/api/v1.0/rasps/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token-at-all-000' },
      body: JSON.stringify({ id: 1, action: 'cpu' }),
    });
    expect(wrong.status).toBe(401);
    const malformed = await fetch(`${base}/api/v1.0/rasps/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{"id": 1, "action":',
    });
    expect(malformed.status).toBe(400);
    expect(await cpuEvents()).toBe(before);

    const ok = await fetch(`${base}/api/v1.0/rasps/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ id: 1, action: 'cpu' }),
    });
    const body = (await ok.json()) as { status: number; data: string };
    expect(ok.status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['data', 'status']);
    expect(body.status).toBe(200);
    expect(body.data.trim()).toMatch(/^\d+(\.\d+)?$/);
    expect(await cpuEvents()).toBe(before + 1);
  });

  it('resumes from the last good revision after a restart while the branch head is broken', async () => {
    // A YAML syntax error this time.
    const text = yamlOf(htopMarkerRack).replace(/^stacks:/m, 'stacks: [');
    brokenHead = commit(text, 'broken: syntax');
    await waitFor('the syntax error to be attempted', 15_000, async () =>
      (await status()).rack.lastAttemptedRevision === brokenHead ? true : undefined,
    );

    await daemon!.stop();
    expect(daemon!.child.exitCode ?? daemon!.child.signalCode).not.toBeNull();
    // While the daemon is away a Pi drifts: the restarted one must repair it from the last good revision.
    await onPi(2, `rm -f ${MARKER}`);
    daemon = await startDaemon(lab().stateDir);
    base = daemon.base;

    const s = await waitFor(
      'the restarted daemon to settle on the last good revision',
      60_000,
      async () => {
        const r = await status();
        return r.rack.lastAppliedRevision === fixedRevision && r.rack.lastAttemptedRevision === brokenHead && r.rack.ready ? r : undefined;
      },
      500,
    );
    expect(s.rack.revisionErrors.join('\n')).toMatch(/rack\.yaml:\d+:\d+: /);
    await waitFor(
      'the marker file back on pi 2',
      30_000,
      async () => ((await onPi(2, `cat ${MARKER} 2>/dev/null || true`)) === 'from the fixing commit' ? true : undefined),
      500,
    );
    expect(await onPi(3, 'command -v htop')).toBe('/usr/bin/htop');
  });
});
