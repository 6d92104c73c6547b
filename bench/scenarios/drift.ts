/**
 * Scenario 3: drift detect-to-repair. The engine runs continuously (Reconciler.start(), as
 * `pirack daemon` does) with a short resync interval; a trial stops the slave on a random Pi
 * from inside the Pi and times until systemd reports it active again. Trials start at random
 * points of the resync cycle so the figure is not locked to one phase of it.
 *
 * Ansible has no loop of its own: its figure is cron's interval plus its measured run time
 * repairing the same drift (cron fires each minute, so the drift waits 30 s at the median and
 * 57 s at p95 before the run starts).
 */
import { join } from 'node:path';
import { ansiblePass, writeWorkspace } from '../contenders/ansible.ts';
import { benchRack, openPirack, warmUp } from '../contenders/pirack.ts';
import type { LabPort } from '../lib/lab-port.ts';
import { closeMasters } from '../lib/masters.ts';
import { prepareForAnsible } from '../lib/ansible-prep.ts';
import { SCENARIO_TITLES, failed, type Row, type ScenarioResult } from '../lib/results.ts';
import { percentile, summarize } from '../lib/stats.ts';
import { seededRandom } from '../synthetic/model.ts';
import { checkTarget } from '../lib/targets.ts';
import { checkAborted, summarizeFailures, type ScenarioEnv } from './env.ts';
import { liveRows, type LiveOptions } from './live.ts';

export const CRON_INTERVAL_MS = 60_000;
export const SLAVE_UNIT = 'pirack-slave.service';

export interface DriftOptions {
  readonly trials: number;
  readonly resyncIntervalMs: number;
  /** Ansible repair runs measured. */
  readonly ansibleRuns: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly clock: () => number;
  readonly seed?: number;
  /** The watch stream's half (default resync); absent: polling only, as before issue 10. */
  readonly live?: Pick<LiveOptions, 'trials' | 'deadTrials'>;
}

/** Cron's delay at percentile p (uniform over one interval) plus a run time. */
export function cronFigure(p: number, runMs: number, intervalMs = CRON_INTERVAL_MS): number {
  return (p / 100) * intervalMs + runMs;
}

/**
 * Waits (bounded: `timeoutMs`, polling every `pollMs`) until the unit is active on the Pi;
 * resolves with the time from `since`, or undefined on timeout.
 */
export async function timeUntilActive(
  lab: LabPort,
  pi: number,
  since: number,
  o: { clock: () => number; sleep: (ms: number) => Promise<void>; timeoutMs: number; pollMs: number },
): Promise<number | undefined> {
  const deadline = since + o.timeoutMs;
  while (o.clock() < deadline) {
    const r = await lab.exec(pi, `systemctl is-active --quiet ${SLAVE_UNIT}`, { timeoutMs: 10_000 });
    if (r.code === 0) return o.clock() - since;
    await o.sleep(o.pollMs);
  }
  return undefined;
}

export async function driftScenario(env: ScenarioEnv, options: DriftOptions): Promise<ScenarioResult> {
  const started = options.clock();
  const pis = env.nodes.length;
  const ids = env.nodes.map((n) => n.id);
  const random = seededRandom(options.seed ?? 6);
  const rack = benchRack(env.rack, { resyncIntervalMs: options.resyncIntervalMs });
  const pirack = await openPirack(rack, { stateDir: join(env.tmp, 'drift', 'pirack-state'), log: env.log });
  const elapsed = (): number => options.clock() - started;
  const wait = { clock: options.clock, sleep: options.sleep, timeoutMs: 60_000, pollMs: 100 };
  const repairs: number[] = [];
  try {
    const warm = await warmUp(pirack, ids);
    if (warm.failures.length > 0)
      return failed('drift', `the rack did not converge first: ${summarizeFailures(warm.failures)}`, pis, elapsed());
    pirack.runtime.reconciler.start();
    for (let trial = 1; trial <= options.trials; trial++) {
      checkAborted(env.signal);
      const pi = ids[Math.floor(random() * ids.length)]!;
      await options.sleep(Math.floor(random() * options.resyncIntervalMs));
      const stop = await env.lab.exec(pi, `systemctl stop ${SLAVE_UNIT}`, { timeoutMs: 30_000 });
      const since = options.clock();
      if (stop.code !== 0)
        return failed('drift', `trial ${trial}: could not stop the slave on pi ${pi}: ${stop.stderr.trim()}`, pis, elapsed());
      const took = await timeUntilActive(env.lab, pi, since, wait);
      if (took === undefined)
        return failed(
          'drift',
          `trial ${trial}: the slave on pi ${pi} was not active again within ${wait.timeoutMs / 1000} s`,
          pis,
          elapsed(),
        );
      repairs.push(took);
      env.progress(`drift trial ${trial}/${options.trials}: pi ${pi} repaired in ${Math.round(took)} ms`);
    }
  } finally {
    await pirack.runtime.reconciler.stop();
    await pirack.close();
  }

  // The same drift and more kinds, with the watch stream at the default resync (issue 10).
  const streamed = options.live
    ? await liveRows(env, {
        ...options.live,
        sleep: options.sleep,
        clock: options.clock,
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      })
    : undefined;
  if (streamed?.error) return failed('drift', `with the stream: ${streamed.error}`, pis, elapsed(), streamed.rows);

  // Ansible, with PiRack stopped: one playbook run over the whole rack, as cron would start it.
  const workDir = join(env.tmp, 'drift', 'ansible');
  const deps = { run: env.run, workDir, timeoutMs: 15 * 60_000, forks: pis, log: env.log };
  const ansibleRuns: number[] = [];
  try {
    await prepareForAnsible(env.lab, ids, env.run, join(env.tmp, 'drift'));
    const inventory = await writeWorkspace(workDir, env.rack, env.nodes, false);
    for (let run = 1; run <= options.ansibleRuns; run++) {
      checkAborted(env.signal);
      const pi = ids[Math.floor(random() * ids.length)]!;
      await env.lab.exec(pi, `systemctl stop ${SLAVE_UNIT}`, { timeoutMs: 30_000 });
      const outcome = await ansiblePass(deps, inventory, env.nodes, env.signal);
      if (outcome.failures.length > 0)
        return failed('drift', `Ansible repair run ${run} failed: ${summarizeFailures(outcome.failures)}`, pis, elapsed());
      const active = await env.lab.exec(pi, `systemctl is-active --quiet ${SLAVE_UNIT}`, { timeoutMs: 10_000 });
      if (active.code !== 0) return failed('drift', `Ansible repair run ${run} left the slave on pi ${pi} stopped`, pis, elapsed());
      ansibleRuns.push(outcome.durationMs);
      env.progress(`drift: Ansible repair run ${run}/${options.ansibleRuns}: ${Math.round(outcome.durationMs)} ms`);
    }
  } finally {
    await closeMasters(join(workDir, 'cp'), env.run);
  }

  const repair = summarize(repairs, 'ms');
  const p95 = percentile(repairs, 95);
  const ansibleRun = summarize(ansibleRuns, 'ms');
  return {
    id: 'drift',
    title: SCENARIO_TITLES.drift,
    status: 'ok',
    pis,
    rows: [
      ...withStreamTargets(streamed?.rows ?? []),
      {
        label: `PiRack polling only (resync ${options.resyncIntervalMs / 1000} s, no stream), service stopped: p50 (min – max)`,
        summary: repair,
        target: checkTarget('driftP50', repair.median),
      },
      { label: 'PiRack polling only: p95', summary: summarize([p95], 'ms'), note: `${repairs.length} trials` },
      { label: 'Ansible repair run (measured)', summary: ansibleRun },
      {
        label: 'Ansible p50 = 30 s cron wait + run',
        summary: summarize(
          ansibleRuns.map((ms) => cronFigure(50, ms)),
          'ms',
        ),
        note: 'computed',
      },
      {
        label: 'Ansible p95 = 57 s cron wait + run',
        summary: summarize(
          ansibleRuns.map((ms) => cronFigure(95, ms)),
          'ms',
        ),
        note: 'computed',
      },
      { label: 'baseline', note: 'n/a: no loop, nothing watches' },
    ],
    notes: [
      ...(streamed?.notes ?? []),
      `Polling only: ${options.trials} trials on ${pis} Pis: \`systemctl stop ${SLAVE_UNIT}\` on a random Pi (from inside it, not over SSH), then polling \`systemctl is-active\` every ${wait.pollMs} ms until active.`,
      `Polling only: PiRack runs as the daemon did before the watch stream (Reconciler.start(): work queue, resync, backoff, no stream) with resyncInterval ${options.resyncIntervalMs / 1000} s for this row (the lab rack's default is ${env.rack.policies.resyncIntervalMs / 1000} s); each trial starts at a random point of the resync cycle.`,
      `Ansible has no watch loop: its figure is cron's ${CRON_INTERVAL_MS / 1000} s interval (the drift waits half of it at p50, 95 % at p95) plus the measured time of a full run repairing one stopped slave (${options.ansibleRuns} runs, PiRack stopped meanwhile).`,
    ],
    durationMs: elapsed(),
  };
}

/** Judges the stream rows against issue 10's goals: p50 ≤ 1 s and p95 ≤ 3 s per kind, dead Pi p50 ≤ 5 s, back p50 ≤ 10 s. */
function withStreamTargets(rows: readonly Row[]) {
  return rows.map((row) => {
    if (!row.summary) return row;
    const v = row.summary.median;
    const id = row.label.includes('dead Pi')
      ? 'deadPiP50'
      : row.label.includes('back from power-loss')
        ? 'backReadyP50'
        : row.label.endsWith('p95')
          ? 'streamDriftP95'
          : 'streamDriftP50';
    return { ...row, target: checkTarget(id, v) };
  });
}
