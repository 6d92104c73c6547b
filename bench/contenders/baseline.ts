/**
 * The baseline, close to the physical limit: plain parallel OpenSSH, one process per Pi, all at
 * once, with no planning. For the no-op it runs PiRack's own probe script; for the converge it
 * runs the commands a blank Pi needs, in order, unconditionally.
 */
import { createHash } from 'node:crypto';
import type { NodeSpec } from '../../src/model/desired.ts';
import type { NodeController } from '../../src/reconcile/controller.ts';
import { buildProbeScript } from '../../src/probe/probe.ts';
import { atomicWriteScript } from '../../src/remote/write-file.ts';
import { shellCommand, shellQuote } from '../../src/ssh/quote.ts';
import { performance } from 'node:perf_hooks';
import { lastLine, type RunProcess } from '../lib/process.ts';
import { closeMasters } from '../lib/masters.ts';
import { sshKeyArgv, sshPasswordArgv, type OpenSshConfig } from './openssh.ts';
import type { PassOutcome } from './types.ts';

/** The probe's last marker line: present only when the whole script ran. */
export const PROBE_END_MARK = '@@pirack:end';

export interface BaselineStep {
  readonly what: string;
  readonly command: string;
  readonly stdin?: string;
  /** Log in with the bootstrap password (the key is not there yet). */
  readonly password?: boolean;
}

export interface BaselineDeps {
  readonly ssh: OpenSshConfig;
  readonly run: RunProcess;
  readonly controllers: readonly NodeController[];
  readonly dpkgLockTimeoutSeconds: number;
  readonly execTimeoutMs: number;
  readonly clock?: () => number;
}

/** Writes the user's authorized_keys the way PiRack's keys controller does, atomically. */
export function keysStep(node: NodeSpec, password: boolean): BaselineStep {
  const content = `${node.authorizedKeys.keys.join('\n')}\n`;
  const sha256 = createHash('sha256').update(content).digest('hex');
  const user = shellQuote(node.authorizedKeys.user);
  const command = [
    `h=$(getent passwd ${user} | cut -d: -f6)`,
    `g=$(id -gn ${user})`,
    `mkdir -p -m 700 "$h/.ssh" && chown ${user}:"$g" "$h/.ssh" && chmod 700 "$h/.ssh"`,
    atomicWriteScript(
      { path: '~/.ssh/authorized_keys', sha256, owner: node.authorizedKeys.user, group: '', mode: '0600' },
      { path: '"$h/.ssh/authorized_keys"', owner: `${user}:"$g"` },
    ),
  ].join('\n');
  return { what: 'write authorized_keys', command, stdin: content, password };
}

/** Everything a blank Pi needs, in dependency order; nothing is checked first. */
export function convergeSteps(node: NodeSpec, dpkgLockTimeoutSeconds: number): BaselineStep[] {
  const steps: BaselineStep[] = [keysStep(node, true)];
  const present = node.packages.filter((p) => p.state === 'present').map((p) => p.name);
  if (present.length > 0) {
    const apt = `apt-get -q -y -o DPkg::Lock::Timeout=${dpkgLockTimeoutSeconds} -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold`;
    steps.push({
      what: `install ${present.join(' ')}`,
      command: `export DEBIAN_FRONTEND=noninteractive; ${apt} update && ${apt} install --no-install-recommends ${shellCommand(present)}`,
    });
  }
  for (const file of node.files) steps.push({ what: `write ${file.path}`, command: atomicWriteScript(file), stdin: file.content });
  const wanted = node.services.filter((s) => s.enabled || s.running);
  if (wanted.length > 0) {
    const lines = ['systemctl daemon-reload'];
    for (const s of wanted) {
      const unit = shellQuote(s.name);
      if (s.enabled && s.running) lines.push(`systemctl enable --now -- ${unit}`);
      else if (s.enabled) lines.push(`systemctl enable -- ${unit}`);
      else lines.push(`systemctl start -- ${unit}`);
    }
    steps.push({ what: 'enable and start services', command: lines.join(' && ') });
  }
  return steps;
}

export class Baseline {
  private readonly clock: () => number;

  constructor(private readonly deps: BaselineDeps) {
    this.clock = deps.clock ?? (() => performance.now());
  }

  private async step(node: NodeSpec, step: BaselineStep, signal?: AbortSignal): Promise<string | undefined> {
    const [file, args] = step.password
      ? sshPasswordArgv(this.deps.ssh, node.ip, step.command)
      : sshKeyArgv(this.deps.ssh, node.ip, step.command);
    const result = await this.deps.run(file, args, {
      timeoutMs: this.deps.execTimeoutMs,
      ...(step.stdin !== undefined ? { input: step.stdin } : {}),
      ...(signal ? { signal } : {}),
    });
    if (result.code !== 0) return `pi ${node.id}: ${step.what} exited ${result.code}: ${lastLine(result.stderr || result.stdout)}`;
    return undefined;
  }

  /** Every Pi probed at once with PiRack's probe script; a pass fails for a Pi whose probe did not finish. */
  async probePass(nodes: readonly NodeSpec[], signal?: AbortSignal): Promise<PassOutcome> {
    const started = this.clock();
    const failures = await Promise.all(
      nodes.map(async (node) => {
        const [file, args] = sshKeyArgv(this.deps.ssh, node.ip, buildProbeScript(node, this.deps.controllers));
        const result = await this.deps.run(file, args, { timeoutMs: this.deps.execTimeoutMs, ...(signal ? { signal } : {}) });
        if (result.code !== 0) return `pi ${node.id}: probe exited ${result.code}: ${lastLine(result.stderr)}`;
        if (!result.stdout.includes(PROBE_END_MARK)) return `pi ${node.id}: probe output incomplete`;
        return undefined;
      }),
    );
    return { durationMs: this.clock() - started, failures: failures.filter((f): f is string => f !== undefined), changed: 0 };
  }

  /** Every Pi converged at once, each through its steps in order; a Pi stops at its first failed step. */
  async convergePass(nodes: readonly NodeSpec[], signal?: AbortSignal): Promise<PassOutcome> {
    const started = this.clock();
    let changed = 0;
    const failures = await Promise.all(
      nodes.map(async (node) => {
        for (const step of convergeSteps(node, this.deps.dpkgLockTimeoutSeconds)) {
          const failure = await this.step(node, step, signal);
          if (failure) return failure;
          changed++;
        }
        return undefined;
      }),
    );
    return { durationMs: this.clock() - started, failures: failures.filter((f): f is string => f !== undefined), changed };
  }

  /** Closes every master connection this baseline opened (bounded: one short command per socket). */
  async close(): Promise<void> {
    await closeMasters(this.deps.ssh.controlDir, this.deps.run);
  }
}
