/**
 * `pirack run ACTION` and `pirack upgrade` on Pis, stacks or the rack: progress on stderr, then a
 * per-Pi result table (or `--json`). Disruptive ones (reboot, upgrades, actions declared
 * `disruptive: true`) roll with `--batch`, `--max-unavailable`, `--continue`. Through the daemon
 * when one runs on the state dir (it owns the Pis; its admin token, or `--token`), otherwise
 * directly, with an observe-only runtime judging Ready (the Pi answers and needs nothing).
 * The whole rack is `--all`: `--rack` names rack.yaml in every command.
 */
import { Command, InvalidArgumentError } from 'commander';
import { pirackError } from '../../errors.ts';
import { openRuntime } from '../../daemon/runtime.ts';
import {
  executeRunSteps,
  prepareRun,
  type RollingControls,
  type RunReport,
  type RunRequest,
  type UpgradeRequest,
} from '../../daemon/rolling.ts';
import { readyByPass } from '../../daemon/reboot.ts';
import type { Selector } from '../../daemon/targets.ts';
import { parseIdList } from '../select.ts';
import { createLogger } from '../../log.ts';
import { systemClock } from '../../util/clock.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { findDaemon, type DaemonClient } from '../daemon-client.ts';
import { progress, table } from '../output.ts';

interface RunOptions extends RackOptions {
  readonly pi?: string;
  readonly stack?: string;
  readonly all?: boolean;
  readonly selector?: string;
  readonly batch?: number;
  readonly maxUnavailable?: string;
  readonly continue?: boolean;
  readonly readyTimeout?: number;
  readonly rebootTimeout?: number;
  readonly json?: boolean;
  readonly token?: string;
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

/** `90`, `90s`, `5m`, `1h` → ms. */
export function durationArg(value: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a duration such as 90s, 5m or 1h');
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

/** --pi, --stack or --all: at most one, narrowed by -l; -l alone means the labelled Pis of the whole rack. */
export function selectorOf(opts: Pick<RunOptions, 'pi' | 'stack' | 'all' | 'selector'>): Selector {
  const given = [opts.pi !== undefined, opts.stack !== undefined, opts.all === true].filter(Boolean).length;
  if (given > 1 || (given === 0 && opts.selector === undefined))
    throw pirackError('PIRACK_ERR_USAGE', 'say where: one of --pi IDS, --stack IDS or --all (the whole rack), or -l LABELS');
  const labels = opts.selector !== undefined ? { labels: opts.selector } : {};
  if (opts.pi !== undefined) return { scope: 'pi', ids: parseIdList(opts.pi, '--pi'), ...labels };
  if (opts.stack !== undefined) return { scope: 'stack', ids: parseIdList(opts.stack, '--stack'), ...labels };
  return { scope: 'rack', ...labels };
}

function controlsOf(opts: RunOptions): RollingControls {
  return {
    ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
    ...(opts.maxUnavailable !== undefined ? { maxUnavailable: opts.maxUnavailable } : {}),
    ...(opts.continue ? { continueOnFailure: true } : {}),
    ...(opts.readyTimeout !== undefined ? { readyTimeoutMs: opts.readyTimeout } : {}),
    ...(opts.rebootTimeout !== undefined ? { backTimeoutMs: opts.rebootTimeout } : {}),
  };
}

/** Prints a line for each Pi whose state or phase changed since the last report. */
function progressPrinter(): (report: RunReport) => void {
  const seen = new Map<number, string>();
  return (report) => {
    for (const p of report.pis) {
      const now = `${p.state}${p.phase ? ` (${p.phase})` : ''}`;
      if (seen.get(p.node) === now) continue;
      seen.set(p.node, now);
      if (p.state === 'pending') continue;
      progress(`pi ${p.node}: ${now}${p.state === 'ok' || p.state === 'failed' ? `: ${p.data ?? ''}` : ''}`);
    }
  };
}

export function formatRun(report: RunReport): string {
  const batchOf = new Map<number, number>();
  report.batches.forEach((b, i) => b.forEach((id) => batchOf.set(id, i + 1)));
  const rows = report.pis.map((p) => [
    String(p.node),
    String(p.stack),
    ...(report.disruptive ? [String(batchOf.get(p.node) ?? '')] : []),
    p.state,
    p.data ?? '',
  ]);
  return `${table(['pi', 'stack', ...(report.disruptive ? ['batch'] : []), 'result', 'output'], rows)}\n${report.message}\n`;
}

function toBody(request: RunRequest): Record<string, unknown> {
  const s = request.selector;
  const c = request.controls ?? {};
  return {
    ...(request.action !== undefined && !request.upgrade ? { action: request.action } : {}),
    ...(request.upgrade ? { upgrade: request.upgrade } : {}),
    ...(s.scope === 'rack' ? { rack: true } : s.scope === 'pi' ? { pis: s.ids } : { stacks: s.ids }),
    ...(s.labels !== undefined ? { selector: s.labels } : {}),
    ...(c.batch !== undefined ? { batch: c.batch } : {}),
    ...(c.maxUnavailable !== undefined ? { maxUnavailable: c.maxUnavailable } : {}),
    ...(c.continueOnFailure ? { continue: true } : {}),
    ...(c.readyTimeoutMs !== undefined ? { readyTimeoutSeconds: c.readyTimeoutMs / 1000 } : {}),
    ...(c.backTimeoutMs !== undefined ? { rebootTimeoutSeconds: c.backTimeoutMs / 1000 } : {}),
  };
}

async function viaDaemon(daemon: DaemonClient, request: RunRequest, onProgress: (r: RunReport) => void): Promise<RunReport> {
  const started = await daemon.request<{ ok: boolean; message: string; run?: RunReport }>('POST', '/api/v1/runs', toBody(request));
  if (!started.body.run)
    throw pirackError('PIRACK_ERR_USAGE', started.body.message ?? `the daemon refused the run (HTTP ${started.status})`);
  let report = started.body.run;
  onProgress(report);
  while (report.state === 'running') {
    await systemClock.sleep(1000);
    const answer = await daemon.request<RunReport>('GET', `/api/v1/runs/${report.id}`);
    if (answer.status !== 200)
      throw pirackError('PIRACK_ERR_DAEMON_UNREACHABLE', `the daemon lost run ${report.id} (HTTP ${answer.status})`);
    report = answer.body;
    onProgress(report);
  }
  return report;
}

async function directly(opts: RunOptions, request: RunRequest, onProgress: (r: RunReport) => void): Promise<RunReport> {
  const rack = await readRack(opts.rack, opts.allowSource);
  // Everything is checked before the runtime (SSH, the state dir) is even opened.
  const prepared = prepareRun(rack, request);
  const runtime = await openRuntime(rack, { stateDir: opts.stateDir, log: createLogger().child({ command: 'run' }), mode: 'observe' });
  const abort = new AbortController();
  const onSigint = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    return await executeRunSteps(
      `cli-${process.pid}`,
      prepared,
      {
        ssh: runtime.ssh,
        port: rack.ssh.port,
        clock: systemClock,
        concurrency: rack.ssh.concurrency,
        ready: readyByPass((ids) => runtime.reconciler.runNodes(ids), 'pending (run pirack apply --once)'),
      },
      abort.signal,
      onProgress,
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
    await runtime.close();
  }
}

async function perform(opts: RunOptions, request: RunRequest): Promise<void> {
  const daemon = await findDaemon(opts.stateDir, opts.token !== undefined ? { token: opts.token } : {});
  const onProgress = opts.json ? () => {} : progressPrinter();
  let report: RunReport;
  if (daemon) {
    if (!opts.json) progress(`a daemon runs on ${opts.stateDir} (pid ${daemon.record.pid}): asking it`);
    report = await viaDaemon(daemon, request, onProgress);
  } else {
    report = await directly(opts, request, onProgress);
  }
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatRun(report));
  if (report.state !== 'done') process.exitCode = 1;
}

function addRunOptions(command: Command): Command {
  return addRackOptions(command)
    .option('--pi <ids>', 'these Pis (e.g. 3 or 1,2,5-7)')
    .option('--stack <ids>', 'every Pi of these stacks')
    .option('--all', 'every Pi of the rack')
    .option('-l, --selector <labels>', 'only the Pis with these labels (role=worker,zone!=top); alone: among the whole rack')
    .option('--batch <n>', 'disruptive: Pis at a time (at most --max-unavailable)', positiveInt)
    .option('--max-unavailable <n|p%>', 'disruptive: Pis that may be down at once, a count or a % of the selection (default 1)')
    .option('--continue', 'disruptive: go on after a failed batch (default: the first failed batch stops the roll)')
    .option('--ready-timeout <duration>', 'disruptive: how long each Pi may take to be Ready again (default 2m)', durationArg)
    .option('--reboot-timeout <duration>', 'reboot: how long a Pi may take to come back with a new boot id (default 3m)', durationArg)
    .option('--json', 'print the run report as JSON')
    .option('--token <token>', "the daemon's admin token (default: the state dir's, readable by root)");
}

export function runCommand(): Command {
  return addRunOptions(new Command('run'))
    .description('run an action (declared in rack.yaml, or cpu, temperature, ping, reboot) on Pis; disruptive ones roll')
    .argument('<action>', 'the action name')
    .addHelpText(
      'after',
      '\nExamples:\n  pirack run cpu --stack 1\n  pirack run reboot --all --max-unavailable 25% \n  pirack run reboot --pi 3 --json\n\nExit 0 when every Pi succeeded, 1 otherwise (the table says which).',
    )
    .action((action: string, opts: RunOptions) => perform(opts, { action, selector: selectorOf(opts), controls: controlsOf(opts) }));
}

export function upgradeCommand(): Command {
  return addRunOptions(new Command('upgrade'))
    .description('upgrade the OS packages of Pis (apt-get upgrade), rolling; --reboot reboots those that need it')
    .option('--full', 'apt-get full-upgrade (may remove or install packages) instead of upgrade')
    .option('--reboot', 'a supervised reboot of each Pi that reports /var/run/reboot-required afterwards')
    .action((opts: RunOptions & { full?: boolean; reboot?: boolean }) => {
      const upgrade: UpgradeRequest = { ...(opts.full ? { full: true } : {}), ...(opts.reboot ? { reboot: true } : {}) };
      return perform(opts, { upgrade, selector: selectorOf(opts), controls: controlsOf(opts) });
    });
}
