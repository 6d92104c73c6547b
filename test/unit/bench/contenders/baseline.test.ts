import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Baseline, convergeSteps, keysStep, PROBE_END_MARK } from '../../../../bench/contenders/baseline.ts';
import type { OpenSshConfig } from '../../../../bench/contenders/openssh.ts';
import type { ProcessResult, RunProcess } from '../../../../bench/lib/process.ts';
import { nodeControllers } from '../../../../controllers/index.ts';
import { buildProbeScript } from '../../../../src/probe/probe.ts';
import { nodeSpec } from '../../../support/fixtures.ts';

const ssh: OpenSshConfig = {
  user: 'root',
  port: 22,
  keyFile: '/k',
  controlDir: '/tmp/pb-x/cm',
  knownHostsFile: '/tmp/pb-x/kh',
  connectTimeoutS: 10,
  persistS: 60,
  passwordFile: '/lab/pw',
};

function recorder(answer: (file: string, args: readonly string[]) => Partial<ProcessResult>) {
  const calls: { file: string; args: readonly string[]; input?: string }[] = [];
  const run: RunProcess = async (file, args, o) => {
    calls.push({ file, args, ...(o.input !== undefined ? { input: o.input } : {}) });
    return { code: 0, stdout: '', stderr: '', durationMs: 1, ...answer(file, args) };
  };
  return { calls, run };
}

describe('convergeSteps', () => {
  it('lists key, packages, files and services in dependency order, key first by password', () => {
    const steps = convergeSteps(nodeSpec(), 120);
    expect(steps.map((s) => s.what)).toEqual([
      'write authorized_keys',
      'install bc nodejs',
      'write /usr/local/lib/pirack/pirack-slave.js',
      'write /etc/systemd/system/pirack-slave.service',
      'enable and start services',
    ]);
    expect(steps.map((s) => s.password === true)).toEqual([true, false, false, false, false]);
    expect(steps[1]!.command).toContain('apt-get -q -y -o DPkg::Lock::Timeout=120');
    expect(steps[1]!.command).toMatch(/update && .* install --no-install-recommends bc nodejs$/);
    expect(steps[4]!.command).toBe('systemctl daemon-reload && systemctl enable --now -- pirack-slave.service');
  });

  it('sends file contents on stdin, checked by their sha256 on the Pi', () => {
    const node = nodeSpec();
    const step = convergeSteps(node, 120)[2]!;
    expect(step.stdin).toBe(node.files[0]!.content);
    expect(step.command).toContain(node.files[0]!.sha256);
  });

  it("writes every declared key, the daemon's included", () => {
    const node = nodeSpec();
    const step = keysStep(node, true);
    expect(step.stdin).toBe(`${node.authorizedKeys.keys.join('\n')}\n`);
    expect(step.command).toContain(createHash('sha256').update(step.stdin!).digest('hex'));
  });
});

describe('Baseline', () => {
  it("probes every Pi with PiRack's own probe script over its master connection", async () => {
    const { calls, run } = recorder(() => ({ stdout: `x\n${PROBE_END_MARK}\n` }));
    const nodes = [nodeSpec({ id: 1, ip: '10.213.0.11' }), nodeSpec({ id: 2, ip: '10.213.0.12' })];
    let t = 0;
    const b = new Baseline({
      ssh,
      run,
      controllers: nodeControllers,
      dpkgLockTimeoutSeconds: 120,
      execTimeoutMs: 1000,
      clock: () => (t += 10),
    });
    const outcome = await b.probePass(nodes);
    expect(outcome).toEqual({ durationMs: 10, failures: [], changed: 0 });
    expect(calls.map((c) => c.file)).toEqual(['ssh', 'ssh']);
    const args = calls[0]!.args;
    expect(args).toContain('ControlMaster=auto');
    expect(args).toContain('ControlPath=/tmp/pb-x/cm/%C');
    expect(args).toContain('ControlPersist=60s');
    expect(args).toContain('BatchMode=yes');
    expect(args.at(-2)).toBe('root@10.213.0.11');
    expect(args.at(-1)).toBe(buildProbeScript(nodes[0]!, nodeControllers));
  });

  it('fails a Pi whose probe exits non-zero or stops before the end marker', async () => {
    const { run } = recorder((_f, args) =>
      String(args.at(-2)).endsWith('.11') ? { code: 255, stderr: 'Connection refused\n' } : { stdout: 'half' },
    );
    const b = new Baseline({ ssh, run, controllers: nodeControllers, dpkgLockTimeoutSeconds: 120, execTimeoutMs: 1000 });
    const outcome = await b.probePass([nodeSpec({ id: 1, ip: '10.213.0.11' }), nodeSpec({ id: 2, ip: '10.213.0.12' })]);
    expect(outcome.failures).toEqual(['pi 1: probe exited 255: Connection refused', 'pi 2: probe output incomplete']);
  });

  it('converges a Pi step by step, the first by password, and stops a Pi at its first failure', async () => {
    const { calls, run } = recorder((_f, args) =>
      String(args.at(-1)).includes('apt-get') && String(args.at(-2)).endsWith('.12')
        ? { code: 100, stderr: 'E: Unable to locate package bc\n' }
        : {},
    );
    const b = new Baseline({ ssh, run, controllers: nodeControllers, dpkgLockTimeoutSeconds: 120, execTimeoutMs: 1000 });
    const outcome = await b.convergePass([nodeSpec({ id: 1, ip: '10.213.0.11' }), nodeSpec({ id: 2, ip: '10.213.0.12' })]);
    expect(outcome.failures).toEqual(['pi 2: install bc nodejs exited 100: E: Unable to locate package bc']);
    expect(outcome.changed).toBe(5 + 1);
    const pi1 = calls.filter((c) => c.args.includes('root@10.213.0.11'));
    expect(pi1.map((c) => c.file)).toEqual(['sshpass', 'ssh', 'ssh', 'ssh', 'ssh']);
    expect(pi1[0]!.args.slice(0, 3)).toEqual(['-f', '/lab/pw', 'ssh']);
    expect(pi1[0]!.args).toContain('PubkeyAuthentication=no');
    expect(calls.filter((c) => c.args.includes('root@10.213.0.12'))).toHaveLength(2);
  });
});
