/**
 * Scenario 1: a no-op verify of a converged rack. Each contender gets one untimed warm-up pass
 * (PiRack's also converges the rack if needed, and every contender's opens its connections),
 * then the timed runs are interleaved contender by contender so a slow moment of the machine
 * hits all four alike.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeControllers } from '../../controllers/index.ts';
import { ansiblePass, writeWorkspace, type AnsibleDeps } from '../contenders/ansible.ts';
import { Baseline } from '../contenders/baseline.ts';
import { cdistJobs, cdistPass, writeCdistWorkspace, type CdistDeps } from '../contenders/cdist.ts';
import { openPirack, warmUp, type PirackContender } from '../contenders/pirack.ts';
import type { PassOutcome } from '../contenders/types.ts';
import { closeMasters } from '../lib/masters.ts';
import { prepareForAnsible } from '../lib/ansible-prep.ts';
import { SCENARIO_TITLES, failed, type ScenarioResult } from '../lib/results.ts';
import { ratiosByRun, summarize } from '../lib/stats.ts';
import { checkTarget } from '../lib/targets.ts';
import { checkAborted, opensshConfig, summarizeFailures, type ScenarioEnv } from './env.ts';

export interface NoopOptions {
  readonly runs: number;
}

export async function noopScenario(env: ScenarioEnv, options: NoopOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const pis = env.nodes.length;
  const ids = env.nodes.map((n) => n.id);
  const dir = join(env.tmp, 'noop');
  await mkdir(join(dir, 'cm'), { recursive: true, mode: 0o700 });
  const ansibleDeps: AnsibleDeps = { run: env.run, workDir: join(dir, 'ansible'), timeoutMs: 15 * 60_000, forks: pis, log: env.log };
  const cdistDeps: CdistDeps = { run: env.run, timeoutMs: 15 * 60_000, parallel: pis, log: env.log };
  const cdistDir = join(dir, 'cdist');
  const baseline = new Baseline({
    ssh: opensshConfig(env.rack, join(dir, 'cm'), join(dir, 'known_hosts')),
    run: env.run,
    controllers: nodeControllers,
    dpkgLockTimeoutSeconds: env.rack.policies.dpkgLockTimeoutSeconds,
    execTimeoutMs: 120_000,
  });
  let pirack: PirackContender | undefined;
  const elapsed = (): number => performance.now() - started;
  const fail = (why: string): ScenarioResult => failed('noop', why, pis, elapsed());
  try {
    pirack = await openPirack(env.rack, { stateDir: join(dir, 'pirack-state'), log: env.log });
    env.progress('no-op: PiRack warm-up pass (converges the rack if it is not yet)');
    const warm = await warmUp(pirack, ids);
    if (warm.failures.length > 0) return fail(`PiRack could not converge the rack: ${summarizeFailures(warm.failures)}`);
    const installed = await prepareForAnsible(env.lab, ids, env.run, dir);
    if (installed.length > 0) env.progress(`no-op: python3-apt installed on ${installed.length} Pis for Ansible's apt module (untimed)`);
    const inventory = await writeWorkspace(ansibleDeps.workDir, env.rack, env.nodes, false);
    const cdistWs = await writeCdistWorkspace(cdistDir, env.rack, env.nodes, false);
    env.progress('no-op: baseline, Ansible and cdist warm-up passes');
    const baseWarm = await baseline.probePass(env.nodes, env.signal);
    if (baseWarm.failures.length > 0) return fail(`baseline warm-up failed: ${summarizeFailures(baseWarm.failures)}`);
    const ansWarm = await ansiblePass(ansibleDeps, inventory, env.nodes, env.signal);
    if (ansWarm.failures.length > 0) return fail(`Ansible warm-up failed: ${summarizeFailures(ansWarm.failures)}`);
    const cdistWarm = await cdistPass(cdistDeps, cdistWs, env.nodes, env.signal);
    if (cdistWarm.failures.length > 0) return fail(`cdist warm-up failed: ${summarizeFailures(cdistWarm.failures)}`);

    const times = { pirack: [] as number[], ansible: [] as number[], cdist: [] as number[], baseline: [] as number[] };
    let changed = { pirack: 0, ansible: 0, cdist: 0 };
    for (let run = 1; run <= options.runs; run++) {
      checkAborted(env.signal);
      const p: PassOutcome = await pirack.pass({ nodes: ids, signal: env.signal });
      const b = await baseline.probePass(env.nodes, env.signal);
      const a = await ansiblePass(ansibleDeps, inventory, env.nodes, env.signal);
      const c = await cdistPass(cdistDeps, cdistWs, env.nodes, env.signal);
      for (const [name, o] of [
        ['PiRack', p],
        ['baseline', b],
        ['Ansible', a],
        ['cdist', c],
      ] as const) {
        if (o.failures.length > 0) return fail(`run ${run}: ${name} failed: ${summarizeFailures(o.failures)}`);
      }
      times.pirack.push(p.durationMs);
      times.baseline.push(b.durationMs);
      times.ansible.push(a.durationMs);
      times.cdist.push(c.durationMs);
      changed = { pirack: changed.pirack + p.changed, ansible: changed.ansible + a.changed, cdist: changed.cdist + c.changed };
      env.progress(
        `no-op run ${run}/${options.runs}: PiRack ${Math.round(p.durationMs)} ms, baseline ${Math.round(b.durationMs)} ms, Ansible ${Math.round(a.durationMs)} ms, cdist ${Math.round(c.durationMs)} ms`,
      );
    }
    const vsAnsible = summarize(ratiosByRun(times.ansible, times.pirack), 'x');
    const vsBaseline = summarize(ratiosByRun(times.pirack, times.baseline), 'x');
    return {
      id: 'noop',
      title: SCENARIO_TITLES.noop,
      status: 'ok',
      pis,
      rows: [
        { label: 'PiRack pass', summary: summarize(times.pirack, 'ms') },
        { label: 'baseline (parallel OpenSSH probe)', summary: summarize(times.baseline, 'ms') },
        { label: 'Ansible run', summary: summarize(times.ansible, 'ms') },
        { label: 'cdist run', summary: summarize(times.cdist, 'ms') },
        { label: 'Ansible / PiRack', summary: vsAnsible, target: checkTarget('noopVsAnsible', vsAnsible.median) },
        { label: 'cdist / PiRack', summary: summarize(ratiosByRun(times.cdist, times.pirack), 'x') },
        { label: 'PiRack / baseline', summary: vsBaseline, target: checkTarget('noopVsBaseline', vsBaseline.median) },
      ],
      notes: [
        `${pis} Pis, ${options.runs} timed runs per contender after one untimed warm-up each; runs interleaved PiRack → baseline → Ansible → cdist.`,
        `All four reach every Pi at once: PiRack's concurrency set to ${env.rack.ssh.concurrency}, Ansible forks ${Math.max(48, pis)}, cdist -p ${pis} (and -j ${cdistJobs(cdistDeps)} jobs per Pi), the baseline one ssh process per Pi.`,
        'PiRack: Reconciler.runOnce over its open SSH pool (observe + plan per Pi, one SSH round trip). Baseline: the same probe script through `ssh` with ControlMaster/ControlPersist, output checked for the end marker, no parsing or planning. Ansible: ansible-playbook site.yml, pipelining, ControlPersist 60 s, gather_facts false. cdist: cdist config with a generated initial manifest, ssh/scp wrappers with ControlPersist 60 s (it runs its global explorers on every run).',
        `Changes during the timed runs (should be 0): PiRack ${changed.pirack}, Ansible ${changed.ansible}, cdist ${changed.cdist}.`,
      ],
      durationMs: elapsed(),
    };
  } finally {
    await pirack?.close();
    await baseline.close();
    await closeMasters(join(ansibleDeps.workDir, 'cp'), env.run);
    await closeMasters(join(cdistDir, 'cm'), env.run);
  }
}
