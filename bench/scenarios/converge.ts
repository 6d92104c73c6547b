/**
 * Scenario 2: converge from blank. Every contender, every run, gets a fresh lab (new overlays:
 * first-boot Pis with only the bootstrap password) and brings it to the declared state; the time
 * is from the first command to the last Pi done. Afterwards PiRack, with fresh pins, checks (dry
 * run, untimed) that the baseline's, Ansible's and cdist's work left nothing to do.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeControllers } from '../../controllers/index.ts';
import { loadRack } from '../../src/config/load.ts';
import type { RackSpec } from '../../src/model/desired.ts';
import { resolveBuiltin } from '../../src/slave/bundle.ts';
import { ansiblePass, writeWorkspace } from '../contenders/ansible.ts';
import { Baseline } from '../contenders/baseline.ts';
import { cdistPass, writeCdistWorkspace } from '../contenders/cdist.ts';
import { benchRack, openPirack } from '../contenders/pirack.ts';
import type { PassOutcome } from '../contenders/types.ts';
import type { LabNeed, LabSession } from '../lib/lab-session.ts';
import { closeMasters } from '../lib/masters.ts';
import { prepareForAnsible } from '../lib/ansible-prep.ts';
import { SCENARIO_TITLES, failed, skipped, type ScenarioResult } from '../lib/results.ts';
import { ratiosByRun, summarize } from '../lib/stats.ts';
import { checkTarget } from '../lib/targets.ts';
import { checkAborted, opensshConfig, summarizeFailures, type ScenarioEnv } from './env.ts';

export interface ConvergeOptions {
  readonly runs: number;
  readonly session: LabSession;
  readonly need: LabNeed;
}

type Contender = 'pirack' | 'baseline' | 'ansible' | 'cdist';
const ORDER: readonly Contender[] = ['pirack', 'baseline', 'ansible', 'cdist'];

async function freshRack(session: LabSession, need: LabNeed, pis: number): Promise<RackSpec> {
  await session.fresh(need);
  const loaded = await loadRack(session.rackYaml, { resolveBuiltin });
  return benchRack(loaded, { concurrency: pis });
}

/** PiRack's own verdict on a rack someone else converged: nothing left to do on any Pi. */
async function verify(rack: RackSpec, ids: readonly number[], env: ScenarioEnv, stateDir: string): Promise<string[]> {
  const checker = await openPirack(rack, { stateDir, log: env.log, mode: 'observe' });
  try {
    const results = await checker.runtime.reconciler.runNodes(ids);
    return results
      .filter((r) => r.error || r.remaining.length > 0)
      .map((r) => `pi ${r.node}: ${r.error ? r.error.message : `${r.remaining.length} action(s) left`}`);
  } finally {
    await checker.close();
  }
}

async function oneRun(contender: Contender, rack: RackSpec, env: ScenarioEnv, dir: string): Promise<PassOutcome> {
  const nodes = env.nodes.map((n) => rack.nodes.find((m) => m.id === n.id)!);
  const ids = nodes.map((n) => n.id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  switch (contender) {
    case 'pirack': {
      const pirack = await openPirack(rack, { stateDir: join(dir, 'state'), log: env.log });
      try {
        return await pirack.pass({ nodes: ids, signal: env.signal });
      } finally {
        await pirack.close();
      }
    }
    case 'baseline': {
      await mkdir(join(dir, 'cm'), { recursive: true, mode: 0o700 });
      const baseline = new Baseline({
        ssh: opensshConfig(rack, join(dir, 'cm'), join(dir, 'known_hosts')),
        run: env.run,
        controllers: nodeControllers,
        dpkgLockTimeoutSeconds: rack.policies.dpkgLockTimeoutSeconds,
        execTimeoutMs: rack.ssh.execTimeoutMs,
      });
      try {
        return await baseline.convergePass(nodes, env.signal);
      } finally {
        await baseline.close();
      }
    }
    case 'ansible': {
      const deps = { run: env.run, workDir: join(dir, 'ansible'), timeoutMs: 30 * 60_000, forks: nodes.length, log: env.log };
      const inventory = await writeWorkspace(deps.workDir, rack, nodes, true);
      try {
        return await ansiblePass(deps, inventory, nodes, env.signal);
      } finally {
        await closeMasters(join(deps.workDir, 'cp'), env.run);
      }
    }
    case 'cdist': {
      const deps = { run: env.run, timeoutMs: 30 * 60_000, parallel: nodes.length, log: env.log };
      const ws = await writeCdistWorkspace(join(dir, 'cdist'), rack, nodes, true);
      try {
        return await cdistPass(deps, ws, nodes, env.signal);
      } finally {
        await closeMasters(ws.controlDir, env.run);
      }
    }
  }
}

export async function convergeScenario(env: ScenarioEnv, options: ConvergeOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const pis = env.nodes.length;
  if (options.session.reused) {
    return skipped(
      'converge',
      "the lab was already up when the bench started (reused, maybe someone else's); converge needs fresh labs, so rerun with no lab up or pass --restart-lab",
      pis,
    );
  }
  const times: Record<Contender, number[]> = { pirack: [], baseline: [], ansible: [], cdist: [] };
  const ids = env.nodes.map((n) => n.id);
  const labSeconds: number[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const contender of ORDER) {
      checkAborted(env.signal);
      env.progress(`converge run ${run}/${options.runs}, ${contender}: fresh lab`);
      const labStarted = performance.now();
      const rack = await freshRack(options.session, options.need, pis);
      // Untimed and for every contender alike: Ansible's apt module cannot work without it, and
      // both Ansible and cdist judge a blank Pi's apt cache by timestamps the image fixes.
      await prepareForAnsible(env.lab, ids, env.run, join(env.tmp, 'converge'));
      labSeconds.push((performance.now() - labStarted) / 1000);
      const dir = join(env.tmp, 'converge', `${run}-${contender}`);
      const outcome = await oneRun(contender, rack, env, dir);
      if (outcome.failures.length > 0) {
        return failed(
          'converge',
          `run ${run}: ${contender} failed: ${summarizeFailures(outcome.failures)}`,
          pis,
          performance.now() - started,
        );
      }
      if (contender !== 'pirack') {
        const left = await verify(rack, ids, env, join(dir, 'verify-state'));
        if (left.length > 0)
          return failed(
            'converge',
            `run ${run}: after ${contender}, PiRack still finds work: ${summarizeFailures(left)}`,
            pis,
            performance.now() - started,
          );
      }
      times[contender].push(outcome.durationMs);
      env.progress(`converge run ${run}/${options.runs}, ${contender}: ${(outcome.durationMs / 1000).toFixed(1)} s`);
    }
  }
  const vsBaseline = summarize(ratiosByRun(times.pirack, times.baseline), 'x');
  return {
    id: 'converge',
    title: SCENARIO_TITLES.converge,
    status: 'ok',
    pis,
    rows: [
      { label: 'PiRack runOnce from blank', summary: summarize(times.pirack, 'ms') },
      { label: 'baseline (fixed command list)', summary: summarize(times.baseline, 'ms') },
      { label: 'Ansible run from blank', summary: summarize(times.ansible, 'ms') },
      { label: 'cdist run from blank', summary: summarize(times.cdist, 'ms') },
      { label: 'PiRack / baseline', summary: vsBaseline, target: checkTarget('convergeVsBaseline', vsBaseline.median) },
      { label: 'Ansible / PiRack', summary: summarize(ratiosByRun(times.ansible, times.pirack), 'x') },
      { label: 'cdist / PiRack', summary: summarize(ratiosByRun(times.cdist, times.pirack), 'x') },
    ],
    notes: [
      `${options.runs} runs only (each contender needs a freshly booted lab per run: ${labSeconds.length} lab boots, ${Math.round(labSeconds.reduce((a, b) => a + b, 0))} s of boot time in all).`,
      "Blank = first boot of the lab image: root password only, no key, no bc, no Node.js, no slave. Every contender logs in with the bootstrap password first (PiRack: its pool's bootstrap login; baseline: sshpass; Ansible: ansible_password via sshpass; cdist: its --remote-exec/--remote-copy wrappers run ssh/scp under sshpass, multiplexed, and its own __ssh_authorized_keys installs the key in the same timed run).",
      'Baseline per Pi, no checks: authorized_keys (password login), apt-get update + install, each file written atomically, daemon-reload + enable --now; Pis all in parallel, steps in order.',
      'After the baseline, Ansible and cdist, a PiRack dry run (untimed) confirmed every Pi matched rack.yaml.',
      "Before any contender runs on a fresh lab (untimed, for all alike): python3-apt, which Ansible's apt module needs and the lab image lacks, is installed, and the empty apt lists directory is dated two days back, as on a flashed image, so that Ansible's cache_valid_time does not skip apt-get update (/var/cache/apt/pkgcache.bin likewise, if the image has one, for cdist's __package_update_index --maxage).",
    ],
    durationMs: performance.now() - started,
  };
}
