/**
 * `pirack bench`: PiRack against Ansible and plain parallel OpenSSH on the virtual rack (issue 6).
 * Prints the table, writes results.json, and with --markdown rewrites the latest-results section
 * of BENCHMARKS.md. Ctrl-C cancels between steps and still cleans up (lab it booted, temp files).
 */
import { Command } from 'commander';
import { setMaxListeners } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { latestSection, replaceLatest } from '../../../bench/lib/doc.ts';
import { SCENARIO_IDS, type ScenarioId } from '../../../bench/lib/results.ts';
import { notesText, textTable } from '../../../bench/lib/table.ts';
import { runBench } from '../../../bench/run.ts';
import { pirackError } from '../../errors.ts';
import { parseDurationOption } from '../parse.ts';
import { progress } from '../output.ts';
import { acquireLabLock } from '../../lab/owner-lock.ts';

interface BenchCliOptions {
  pis: string;
  runs: string;
  convergeRuns: string;
  driftTrials: string;
  driftResync: string;
  restSeconds: string;
  scaleNodes: string;
  only?: string;
  out: string;
  markdown?: string;
  restartLab?: boolean;
}

function positiveInt(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw pirackError('PIRACK_ERR_USAGE', `${option} expects a positive whole number, got "${value}"`);
  return n;
}

export function parseOnly(value: string | undefined): ScenarioId[] {
  if (!value) return [];
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = ids.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
  if (unknown.length > 0)
    throw pirackError('PIRACK_ERR_USAGE', `--only: unknown scenario(s) ${unknown.join(', ')} (known: ${SCENARIO_IDS.join(', ')})`);
  return ids as ScenarioId[];
}

export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark PiRack against Ansible and parallel OpenSSH on the virtual rack (needs root; boots or reuses a lab)')
    .option('--pis <n>', 'Pis to benchmark on (lab of stacks of up to 12)', '48')
    .option('--runs <n>', 'timed runs of the no-op scenario (and up to 3 Ansible drift runs)', '3')
    .option('--converge-runs <n>', 'runs of converge-from-blank (each needs a fresh lab per contender)', '2')
    .option('--drift-trials <n>', 'drift detect-to-repair trials', '20')
    .option('--drift-resync <duration>', 'resync interval of the engine during the drift scenario', '2s')
    .option('--rest-seconds <n>', 'sampling window of the daemon at rest', '60')
    .option('--scale-nodes <n>', 'Pis of the synthetic model', '5000')
    .option('--only <list>', `comma-separated scenarios (${SCENARIO_IDS.join(', ')})`)
    .option('--out <file>', 'results JSON', 'bench/results.json')
    .option('--markdown <file>', 'also rewrite the latest-results section of this file (BENCHMARKS.md)')
    .option('--restart-lab', 'a lab already up may be torn down and rebooted (converge needs fresh labs)')
    .action(async (opts: BenchCliOptions) => {
      const only = parseOnly(opts.only);
      const out = resolve(opts.out);
      const stop = new AbortController();
      // One signal reaches every Pi's commands at once (48 and more): not a listener leak.
      setMaxListeners(10_000, stop.signal);
      const onSignal = (): void => {
        progress('bench: stopping after the current step, then cleaning up (lab, temp files)…');
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // The lab is shared with e2e test files, which take this lock: holding it for the whole run
      // keeps a test from tearing down (or re-creating) the lab under a scenario, and the other way round.
      const lock =
        only.length > 0 && only.every((id) => id === 'scale' || id === 'startup')
          ? undefined
          : await acquireLabLock({ onWait: (pid) => progress(`bench: waiting for the virtual rack held by PID ${pid}`) });
      try {
        const results = await runBench({
          pis: positiveInt(opts.pis, '--pis'),
          runs: positiveInt(opts.runs, '--runs'),
          convergeRuns: positiveInt(opts.convergeRuns, '--converge-runs'),
          driftTrials: positiveInt(opts.driftTrials, '--drift-trials'),
          driftResyncMs: parseDurationOption(opts.driftResync, '--drift-resync'),
          restSeconds: positiveInt(opts.restSeconds, '--rest-seconds'),
          scaleNodes: positiveInt(opts.scaleNodes, '--scale-nodes'),
          only,
          restartLab: opts.restartLab === true,
          logFile: resolve(dirname(out), 'last-run.log'),
          signal: stop.signal,
          progress,
          // We hold the lab lock: whoever else shows up in /proc is waiting for it, not using the lab.
          ...(lock ? { othersUsingLab: async () => [] } : {}),
        });
        await mkdir(dirname(out), { recursive: true });
        await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
        if (opts.markdown) {
          const path = resolve(opts.markdown);
          await writeFile(path, replaceLatest(await readFile(path, 'utf8'), latestSection(results)));
        }
        process.stdout.write(`\n${textTable(results.scenarios)}\n\n${notesText(results)}\n\nresults: ${out}\n`);
        process.exitCode = results.scenarios.every((s) => s.status === 'ok') ? 0 : 1;
      } finally {
        lock?.release();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
