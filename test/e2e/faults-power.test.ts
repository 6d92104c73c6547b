/**
 * Issue 3, "never loses data": a Pi whose power is cut in the middle of an apt install, or in the
 * middle of an authorized_keys write, comes back consistent (dpkg finished by pkg-repair; the key
 * file either old or new, never empty or partial) and converges. To cut at the right moment, a
 * watcher inside the Pi freezes (SIGSTOP) the work as soon as it is under way; the test then
 * cuts the power of the frozen Pi, so the cut lands mid-operation every time.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labExec, labFault } from '../../src/lab/index.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';

// The root-login lab (the original's racks): this suite predates the stock-OS default and logs in as root;
// test/e2e/stock-os.test.ts covers the sudo user.
const lab = useLab({ stacks: 2, perStack: 2, rootLogin: true });
const PIS = [1, 2, 3, 4];
const FROZEN = '/run/pirack-e2e-frozen';
const WATCHER = '/run/pirack-e2e-watch.py';

let work: string;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function onPi(pi: number, cmd: string): Promise<string> {
  return `${(await labExec(pi, cmd)).stdout}`.trim();
}

const waitFor = <T>(what: string, ms: number, probe: () => Promise<T | undefined>, every = 250): Promise<T> =>
  waitUntil(what, ms, probe, { every });

type Rack = Record<string, unknown> & { defaults: { authorizedKeys: { keys: string[] } } };

function rackObject(): Rack {
  return parse(readFileSync(lab().rackYaml, 'utf8')) as Rack;
}

function writeRack(name: string, rack: Rack): string {
  const path = join(work, name);
  writeFileSync(path, stringify(rack, { lineWidth: 0 }));
  return path;
}

const apply = (rackPath: string): Promise<CliResult> => runCli(['apply', '--once', '--rack', rackPath, '--state-dir', lab().stateDir]);

/** Runs apply --once until the rack matches (a repair can take a pass of its own); bounded. */
async function converge(rackPath: string): Promise<CliResult> {
  let last: CliResult | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    last = await apply(rackPath);
    if (last.code === 0) return last;
  }
  throw new Error(`apply --once did not converge in 3 runs:\n${last?.stdout}\n${last?.stderr}`);
}

/**
 * Freezes (SIGSTOP) every process started over SSH once `trigger` (a Python expression) is true,
 * writes what it saw to FROZEN, and exits; gives up after `seconds`. Processes the test runs with
 * nsenter are not under sshd, so the test's own probes keep working.
 */
const WATCHER_PY = String.raw`
import json, os, signal, sys, time
seconds, trigger, keys = float(sys.argv[1]), sys.argv[2], sys.argv[3]
me = os.getpid()
def stat(p):
    with open('/proc/%s/stat' % p) as f: s = f.read()
    fields = s[s.rfind(')') + 2:].split()
    return s[s.find('(') + 1:s.rfind(')')], int(fields[1])
def under_sshd(p):
    for _ in range(30):
        try: _c, p = stat(p)
        except OSError: return False
        if p <= 1: return False
        try:
            if stat(p)[0] == 'sshd': return True
        except OSError: return False
    return False
def procs(names=None):
    out = []
    for p in os.listdir('/proc'):
        if not p.isdigit() or int(p) == me: continue
        try: c, _pp = stat(p)
        except OSError: continue
        if names is None or c in names: out.append((int(p), c))
    return out
def temps():
    d = os.path.dirname(keys)
    try: return [(n, os.path.getsize(os.path.join(d, n))) for n in os.listdir(d) if n.startswith('.pirack.')]
    except OSError: return []
def dpkg_updates():
    try: return os.listdir('/var/lib/dpkg/updates')
    except OSError: return []
deadline = time.time() + seconds
while time.time() < deadline:
    if eval(trigger):
        stopped = []
        for p, c in procs():
            if c != 'sshd' and under_sshd(p):
                try:
                    os.kill(p, signal.SIGSTOP)
                    stopped.append(c)
                except OSError: pass
        seen = {'stopped': stopped, 'temps': temps(), 'updates': dpkg_updates()}
        try:
            with open(keys) as f: seen['keys'] = f.read()
        except OSError: seen['keys'] = None
        with open('${FROZEN}', 'w') as f: json.dump(seen, f)
        break
    time.sleep(0.001)
`;
import { waitUntil } from '../support/wait.ts';

interface Frozen {
  readonly stopped: string[];
  readonly temps: [string, number][];
  readonly updates: string[];
  readonly keys: string | null;
}

async function startWatcher(pi: number, trigger: string, seconds = 120): Promise<void> {
  const b64 = Buffer.from(WATCHER_PY).toString('base64');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  await onPi(pi, `rm -f ${FROZEN}; echo ${b64} | base64 -d > ${WATCHER}`);
  await onPi(pi, `setsid python3 ${WATCHER} ${seconds} ${q(trigger)} /root/.ssh/authorized_keys </dev/null >/dev/null 2>&1 &`);
}

async function frozen(pi: number): Promise<Frozen | undefined> {
  const text = await onPi(pi, `cat ${FROZEN} 2>/dev/null || true`);
  return text ? (JSON.parse(text) as Frozen) : undefined;
}

/** Cuts the Pi's power, lets the interrupted apply finish, and boots the Pi again. */
async function powerCycle(pi: number, running: Promise<CliResult>): Promise<CliResult> {
  await labFault(pi, 'power-loss');
  const interrupted = await running;
  await labFault(pi, 'power-loss', { undo: true });
  await waitFor(
    `pi ${pi} booted with sshd`,
    60_000,
    async () => ((await onPi(pi, 'systemctl is-active ssh.service || true')) === 'active' ? true : undefined),
    500,
  );
  return interrupted;
}

/** A well-formed ed25519 public key line that nobody holds the private half of. */
function fakeKey(comment: string): string {
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.alloc(4 + type.length + 4 + 32);
  blob.writeUInt32BE(type.length, 0);
  type.copy(blob, 4);
  blob.writeUInt32BE(32, 4 + type.length);
  randomBytes(32).copy(blob, 8 + type.length);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

beforeAll(async () => {
  work = mkdtempSync(join(lab().stateDir, 'faults-power-'));
  const started = Date.now();
  const converged = await apply(writeRack('rack.yaml', rackObject()));
  process.stderr.write(`[faults-power] first converge: ${Date.now() - started} ms\n`);
  expect(converged.code, `${converged.stdout}\n${converged.stderr}`).toBe(0);
});

describe('power cuts in the middle of an operation never lose data', () => {
  it('a Pi that loses power during an apt install comes back with dpkg repaired, and converges', async () => {
    const rackPath = writeRack('rack.yaml', rackObject());
    // Node.js and its libraries are the biggest install of the lab's rack: the widest window.
    await onPi(
      1,
      'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q nodejs >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -q >/dev/null 2>&1',
    );
    expect(await onPi(1, 'command -v node || echo none')).toBe('none');

    // dpkg has started changing its database (journal entries in updates/) but not finished.
    // (updates/ may hold a stale tmp.i; only numbered entries are journal records.)
    await startWatcher(1, "[u for u in dpkg_updates() if u.isdigit()] and procs({'dpkg'})");
    const running = apply(rackPath);
    const seen = await waitFor('dpkg frozen mid-install on pi 1', 120_000, () => frozen(1), 100);
    expect(seen.stopped).toContain('dpkg');
    expect(seen.updates.filter((u) => /^\d+$/.test(u)).length).toBeGreaterThan(0);
    process.stderr.write(`[faults-power] froze ${seen.stopped.join(' ')} with dpkg journal entries ${seen.updates.join(' ')}\n`);
    const interrupted = await powerCycle(1, running);
    expect(interrupted.code).toBe(1);

    // The cut really left dpkg's work unfinished: this is the state pkg-repair must handle.
    const audit = await onPi(1, 'dpkg --audit');
    process.stderr.write(`[faults-power] dpkg --audit after the cut:\n${audit}\n`);
    expect(audit).not.toBe('');
    const plan = await runCli(['plan', '--json', '--rack', rackPath, '--state-dir', lab().stateDir]);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = (JSON.parse(plan.stdout) as { pi: number; actions: { kind: string }[] }[]).find((p) => p.pi === 1);
    expect(planned?.actions.map((a) => a.kind)).toEqual(['pkg-repair']);

    const result = await converge(rackPath);
    expect(result.stdout).toMatch(/all 4 Pis match rack\.yaml/);
    expect(await onPi(1, 'dpkg --audit')).toBe('');
    expect(await onPi(1, "dpkg-query -W -f='${db:Status-Abbrev}' nodejs")).toBe('ii');
    expect(await onPi(1, 'node -e "console.log(6 * 7)"')).toBe('42');
    // The slave crashed while node was gone; systemd's Restart= brings it back (the services
    // controller counts "activating" as running), within a couple of RestartSec.
    await waitFor(
      'the slave active on pi 1',
      15_000,
      async () => ((await onPi(1, 'systemctl is-active pirack-slave.service || true')) === 'active' ? true : undefined),
      500,
    );
    const again = await apply(rackPath);
    expect(again.stdout).toContain('(0 actions applied');
  });

  it('a Pi that loses power during an authorized_keys write keeps the old file whole, then gets the new one', async () => {
    const keysFile = '/root/.ssh/authorized_keys';
    let caught: Frozen | undefined;
    let oldKeys = '';
    let rackPath = '';
    let wanted: string[] = [];
    // The write takes milliseconds; if the watcher misses it, try again with another key set (bounded).
    for (let attempt = 1; attempt <= 3 && !caught; attempt++) {
      oldKeys = await onPi(2, `cat ${keysFile}`);
      expect(oldKeys).not.toBe('');
      const rack = rackObject();
      // Thousands of lines: a write that takes long enough to be caught halfway.
      wanted = Array.from({ length: 3000 }, (_, i) => fakeKey(`pirack-e2e-a${attempt}-${i}`));
      rack.defaults.authorizedKeys.keys = wanted;
      rackPath = writeRack(`rack-keys-${attempt}.yaml`, rack);
      await startWatcher(2, 'temps()', 60);
      const running = apply(rackPath);
      const seen = await Promise.race([
        waitFor('the key write frozen on pi 2', 60_000, () => frozen(2), 100),
        running.then(async () => (await sleep(1_000), frozen(2))),
      ]);
      if (seen && seen.temps.length > 0) {
        caught = seen;
        const interrupted = await powerCycle(2, running);
        expect(interrupted.code).toBe(1);
      } else {
        await running;
        await onPi(2, `pkill -f ${WATCHER} || true`);
        process.stderr.write(`[faults-power] attempt ${attempt}: the key write finished before the watcher saw it; trying again\n`);
      }
    }
    expect(caught, 'the key write was never caught in the middle').toBeDefined();
    // Frozen between the temporary file and the rename: the live file was still the old one.
    expect(caught!.keys?.trim()).toBe(oldKeys);

    // After the cut: the old file, whole; never empty, never a prefix of the new one.
    const after = await onPi(2, `cat ${keysFile}`);
    expect(after).toBe(oldKeys);
    expect(await onPi(2, `stat -c '%a %U' ${keysFile}`)).toBe('600 root');
    const leftovers = await onPi(2, 'ls -A /root/.ssh');
    process.stderr.write(`[faults-power] /root/.ssh after the cut: ${leftovers.split('\n').join(' ')}\n`);

    // The master key still opens the Pi, so it converges to the new file.
    const result = await converge(rackPath);
    expect(result.stdout).toMatch(/all 4 Pis match rack\.yaml/);
    const attemptTag = wanted[0]!.split(' ')[2]!.replace(/-0$/, '-');
    expect(Number(await onPi(2, `grep -c -- ' ${attemptTag}' ${keysFile}`))).toBe(wanted.length);
    const masterKey = readFileSync(`${lab().up.dir}/master_key.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    expect(await onPi(2, `head -n 1 ${keysFile}`)).toContain(masterKey);
    for (const pi of PIS) expect(await onPi(pi, 'systemctl is-active pirack-slave.service')).toBe('active');
  });
});
