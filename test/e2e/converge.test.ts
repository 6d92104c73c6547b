/**
 * Issue 2's "done means", on the virtual rack with real OpenSSH, apt and systemd: converge freshly
 * booted Pis (no key, no bc, no Node.js, no slave) with `pirack apply --once`, then zero actions,
 * then a hand-made drift that `pirack plan` shows exactly and `apply --once` repairs. A broken
 * rack.yaml changes nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labExec, labIp } from '../../src/lab/index.ts';
import { runCli } from '../support/cli.ts';
import { useLab } from '../support/lab.ts';

// The root-login lab (the original's racks): this suite predates the stock-OS default and logs in as root;
// test/e2e/stock-os.test.ts covers the sudo user.
const lab = useLab({ stacks: 2, perStack: 2, rootLogin: true });
const SLAVE_JS = '/usr/local/lib/pirack/pirack-slave.js';

const args = (...rest: string[]) => [...rest, '--rack', lab().rackYaml, '--state-dir', lab().stateDir];

async function onPi(pi: number, cmd: string): Promise<string> {
  const result = await labExec(pi, cmd);
  return `${result.stdout}`.trim();
}

interface PlanEntry {
  pi: number;
  reachable: boolean;
  actions: { kind: string; description: string; pkgs?: string[]; path?: string; reason?: string }[];
}

async function planJson(): Promise<PlanEntry[]> {
  const result = await runCli(args('plan', '--json'));
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as PlanEntry[];
}

describe('converge from blank, then idempotence, then drift repair', () => {
  it('finds fresh Pis without key, bc, Node.js or slave', async () => {
    for (const pi of [1, 2, 3, 4]) {
      expect(await onPi(pi, 'command -v bc || echo none')).toBe('none');
      expect(await onPi(pi, 'command -v node || echo none')).toBe('none');
      expect(await onPi(pi, 'test -e /root/.ssh/authorized_keys && echo yes || echo no')).toBe('no');
    }
  });

  it('converges every Pi with apply --once (bootstrap password, then the key)', async () => {
    const result = await runCli(args('apply', '--once'));
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/all 4 Pis match rack.yaml \((\d+) actions applied/);
    const masterKey = readFileSync(`${lab().up.dir}/master_key.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    for (const pi of [1, 2, 3, 4]) {
      expect(await onPi(pi, 'command -v bc')).toBe('/usr/bin/bc');
      expect(await onPi(pi, 'systemctl is-active pirack-slave.service')).toBe('active');
      expect(await onPi(pi, 'systemctl is-enabled pirack-slave.service')).toBe('enabled');
      expect(await onPi(pi, 'stat -c "%a %U" /root/.ssh /root/.ssh/authorized_keys')).toBe('700 root\n600 root');
      expect(await onPi(pi, 'cat /root/.ssh/authorized_keys')).toContain(masterKey);
    }
    // The slave reports metrics computed without bc, over SSH: it listens on no network port.
    const health = JSON.parse(await onPi(1, `node ${SLAVE_JS} health`)) as { cpuPercent: number; memTotalKb: number };
    expect(health.memTotalKb).toBeGreaterThan(0);
    expect(typeof health.cpuPercent).toBe('number');
    await expect(fetch(`http://${labIp(1)}:1026/health`, { signal: AbortSignal.timeout(3_000) })).rejects.toThrow();
  });

  it('plans and performs zero actions on a second run', async () => {
    // plan also lists the stacks' relays and the rack's enlistment (no `pi`): nothing to do there either.
    const plan = await planJson();
    expect(plan.filter((p) => p.pi === undefined).every((p) => p.actions.length === 0)).toBe(true);
    expect(plan.filter((p) => p.pi !== undefined).map((p) => [p.pi, p.actions.length])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
    const result = await runCli(args('apply', '--once'));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('(0 actions applied');
  });

  it('shows exactly a hand-made drift in plan, and apply --once repairs it', async () => {
    await onPi(1, ': > /root/.ssh/authorized_keys');
    await onPi(1, 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q bc >/dev/null 2>&1');
    await onPi(1, 'systemctl stop pirack-slave.service');
    await onPi(1, `echo '// edited by hand' >> ${SLAVE_JS}`);
    await onPi(2, 'systemctl disable pirack-slave.service');

    const plan = await planJson();
    const pi1 = plan.find((p) => p.pi === 1)!;
    expect(pi1.actions.map((a) => a.kind)).toEqual(['keys-write', 'pkg-install', 'file-write', 'service-start']);
    expect(pi1.actions[1]?.pkgs).toEqual(['bc']);
    expect(pi1.actions[2]).toMatchObject({ path: SLAVE_JS, reason: 'content' });
    expect(plan.find((p) => p.pi === 2)!.actions.map((a) => a.description)).toEqual(['enable pirack-slave.service']);
    expect(plan.filter((p) => p.pi > 2).every((p) => p.actions.length === 0)).toBe(true);

    const result = await runCli(args('apply', '--once'));
    expect(result.code, result.stdout).toBe(0);
    expect(await onPi(1, 'command -v bc')).toBe('/usr/bin/bc');
    expect(await onPi(1, 'systemctl is-active pirack-slave.service')).toBe('active');
    expect(await onPi(1, `grep -c 'edited by hand' ${SLAVE_JS} || true`)).toBe('0');
    expect(await onPi(2, 'systemctl is-enabled pirack-slave.service')).toBe('enabled');
    expect((await planJson()).every((p) => p.actions.length === 0)).toBe(true);
  });

  it('changes nothing anywhere when rack.yaml is broken, and says where', async () => {
    await onPi(3, 'systemctl stop pirack-slave.service');
    const broken = `${lab().stateDir}/broken-rack.yaml`;
    writeFileSync(broken, readFileSync(lab().rackYaml, 'utf8').replace('ip: 10.213.0.14', 'ip: 10.213.0.300'));
    const result = await runCli(['apply', '--once', '--rack', broken, '--state-dir', lab().stateDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/broken-rack\.yaml:\d+:\d+: .*10\.213\.0\.300/);
    expect(await onPi(3, 'systemctl is-active pirack-slave.service || true')).toBe('inactive');
    const fixed = await runCli(args('apply', '--once'));
    expect(fixed.code).toBe(0);
    expect(await onPi(3, 'systemctl is-active pirack-slave.service')).toBe('active');
  });
});
