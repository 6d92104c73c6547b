/**
 * `pirack get pis|stacks` and `pirack describe pi N`, in kubectl's manner: from the running daemon
 * when there is one (its live report and events), else from the state dir's status.json and event
 * log. `-o json|yaml` prints the objects; `--watch` redraws on every event of the daemon's stream.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { pirackError } from '../../errors.ts';
import type { RackEvent, StatusReport } from '../../model/status.ts';
import { STATUS_FILE } from '../../daemon/runtime.ts';
import { DEFAULT_STATE_DIR } from '../common.ts';
import { findDaemon, type DaemonClient } from '../daemon-client.ts';
import { describePi, eventsOfPi, formatObject, pisTable, stacksTable, type OutputFormat } from '../get-view.ts';
import { parseIdList } from '../select.ts';

interface GetOptions {
  readonly stateDir: string;
  readonly output: OutputFormat;
  readonly watch?: boolean;
}

interface Snapshot {
  readonly report: StatusReport;
  readonly events: readonly RackEvent[];
}

async function fromStateDir(stateDir: string): Promise<Snapshot> {
  const path = join(stateDir, STATUS_FILE);
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw pirackError(
      'PIRACK_ERR_STATE',
      `no daemon runs and there is no status report at ${path}: start \`pirack daemon\`, run \`pirack apply --once\`, or pass --state-dir`,
      {
        cause,
      },
    );
  });
  const events = (await readFile(join(stateDir, 'events.jsonl'), 'utf8').catch(() => '')).split('\n').flatMap((l) => {
    try {
      return l.trim() ? [JSON.parse(l) as RackEvent] : [];
    } catch {
      return [];
    }
  });
  return { report: JSON.parse(text) as StatusReport, events };
}

async function fromDaemon(daemon: DaemonClient): Promise<Snapshot> {
  const [report, events] = await Promise.all([
    daemon.request<StatusReport>('GET', '/api/v1/status'),
    daemon.request<{ events: RackEvent[] }>('GET', '/api/v1/events'),
  ]);
  return { report: report.body, events: events.body.events ?? [] };
}

/** Renders once, or on every event of the daemon's stream until Ctrl-C. */
async function show(opts: GetOptions, render: (s: Snapshot) => string): Promise<void> {
  const daemon = await findDaemon(opts.stateDir);
  const once = async () => render(daemon ? await fromDaemon(daemon) : await fromStateDir(opts.stateDir));
  process.stdout.write(await once());
  if (!opts.watch) return;
  if (!daemon) throw pirackError('PIRACK_ERR_USAGE', `--watch follows the daemon's event stream, and no daemon runs on ${opts.stateDir}`);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const response = await daemon.open('/api/v1/events/stream', stop.signal);
  if (!response.ok || !response.body) throw pirackError('PIRACK_ERR_DAEMON_UNREACHABLE', `the event stream answered ${response.status}`);
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body) {
      // Any event (a change, a pass, a status) may change what is shown: redraw from the report.
      if (/^event: /m.test(decoder.decode(chunk as Uint8Array, { stream: true }))) process.stdout.write(`\n${await once()}`);
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  }
}

function outputOption(): Option {
  return new Option('-o, --output <format>', 'table, json or yaml').choices(['table', 'json', 'yaml']).default('table');
}

function withCommon(command: Command): Command {
  return command
    .option('--state-dir <dir>', "the daemon's state dir (env PIRACK_STATE_DIR)", process.env.PIRACK_STATE_DIR ?? DEFAULT_STATE_DIR)
    .addOption(outputOption())
    .option('-w, --watch', "redraw on every event of the running daemon's stream");
}

export function getCommand(): Command {
  return withCommon(new Command('get'))
    .description('list Pis or stacks with their state, like kubectl get')
    .argument('<kind>', 'pis or stacks')
    .action(async (kind: string, opts: GetOptions) => {
      const k = kind === 'pi' || kind === 'pis' ? 'pis' : kind === 'stack' || kind === 'stacks' ? 'stacks' : undefined;
      if (!k) throw pirackError('PIRACK_ERR_USAGE', `pirack get: unknown kind "${kind}"; use pis or stacks`);
      await show(opts, ({ report }) => {
        const items = k === 'pis' ? report.nodes : report.stacks;
        if (opts.output !== 'table') return formatObject({ kind: k, items }, opts.output);
        return `${k === 'pis' ? pisTable(report, Date.now()) : stacksTable(report)}\n`;
      });
    });
}

export function describeCommand(): Command {
  return withCommon(new Command('describe'))
    .description('everything about one Pi: conditions, live health, pending actions, last error, events')
    .argument('<kind>', 'pi')
    .argument('<id>', 'the Pi id')
    .action(async (kind: string, idText: string, opts: GetOptions) => {
      if (kind !== 'pi') throw pirackError('PIRACK_ERR_USAGE', `pirack describe: unknown kind "${kind}"; use pi`);
      const [id] = parseIdList(idText, '<id>');
      await show(opts, ({ report, events }) => {
        const node = report.nodes.find((n) => n.id === id);
        if (!node)
          throw pirackError('PIRACK_ERR_USAGE', `no pi ${id} in the rack (its pis: ${report.nodes.map((n) => n.id).join(', ') || 'none'})`);
        const mine = eventsOfPi(events, report, id!);
        if (opts.output !== 'table') return formatObject({ ...node, events: mine }, opts.output);
        return `${describePi(report, id!, mine, Date.now())}\n`;
      });
    });
}
