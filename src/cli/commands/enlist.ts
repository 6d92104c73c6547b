/**
 * `pirack enlist`: enlist every stack whose Pis have no MAC yet, in the foreground, then put the
 * stacks back to their desired power: the rack key of the same loop the daemon runs. When a
 * daemon runs on the state dir it is asked to do it and the command follows its progress.
 * `pirack enlist release <pi>`: forget a replaced Pi's MAC.
 */
import { Command } from 'commander';
import type { Logger } from 'pino';
import { pirackError } from '../../errors.ts';
import type { EnlistmentProgress, StatusReport } from '../../model/status.ts';
import { effectiveMacs, readBindings, releaseBinding } from '../../dhcp/bindings.ts';
import { openRuntime } from '../../daemon/runtime.ts';
import { createLogger } from '../../log.ts';
import { sleep } from '../../util/sleep.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { findDaemon, type DaemonClient } from '../daemon-client.ts';
import { formatMs, progress } from '../output.ts';
import { cliOperator, requireYes, withInterrupt } from './power.ts';

function showProgress(p: EnlistmentProgress): void {
  const timing = p.remainingMs > 0 ? ` [${formatMs(p.elapsedMs)} elapsed, ${formatMs(p.remainingMs)} left]` : '';
  progress(`${p.message}${timing}`);
}

async function throughDaemon(daemon: DaemonClient): Promise<number> {
  const asked = await daemon.request<{ ok: boolean; message: string }>('POST', '/api/v1/rack/enlist');
  progress(`a daemon runs (pid ${daemon.record.pid}): ${asked.body.message}`);
  if (!asked.body.ok) return 1;
  let last = '';
  let seenActive = false;
  for (;;) {
    await sleep(1000);
    const status = (await daemon.request<StatusReport>('GET', '/api/v1/status')).body;
    const p = status.rack.enlistment;
    if (p && p.message !== last) {
      showProgress(p);
      last = p.message;
    }
    seenActive ||= p?.active === true;
    const enlisted = status.rack.conditions?.find((c) => c.type === 'Enlisted');
    if (!p?.active && (seenActive || enlisted?.status === 'True')) {
      process.stdout.write(`enlistment done (daemon pid ${daemon.record.pid}): ${enlisted?.message ?? ''}\n`);
      return 0;
    }
  }
}

async function runEnlist(opts: RackOptions & { yes?: boolean }, log: Logger): Promise<number> {
  const rack = await readRack(opts.rack, opts.allowSource);
  requireYes(rack, opts.yes, 'enlistment (it switches off every stack waiting to be enlisted)');
  const daemon = await findDaemon(opts.stateDir);
  if (daemon) return throughDaemon(daemon);
  let warnings = 0;
  const runtime = await openRuntime(rack, { stateDir: opts.stateDir, log, notifyManual: (r) => progress(`ACTION NEEDED: ${r.message}`) });
  const unsubscribe = runtime.events.subscribe((e) => {
    if (!e.kind.startsWith('enlist') && !e.kind.startsWith('stack-') && e.kind !== 'dhcp-hosts-write') return;
    if (e.result === 'failed' || (e.result === 'info' && /warn|short|fewer|missing/i.test(e.message))) warnings += 1;
    progress(`${e.target}: ${e.message}`);
  });
  let lastProgress = '';
  const unwatch = runtime.store.subscribe((change) => {
    const p = runtime.store.enlistment.progress;
    if (change.scope === 'rack' && change.what === 'enlistment' && p && p.message !== lastProgress) {
      lastProgress = p.message;
      showProgress(p);
    }
  });
  try {
    const outcome = await withInterrupt(
      () => runtime.reconciler.stop(),
      () => runtime.reconciler.enlist(cliOperator('enlist')),
    );
    if (!outcome.ok) throw pirackError('PIRACK_ERR_DHCP', outcome.message);
    const short = Object.values(runtime.store.enlistment.attempts).filter(
      (a) => a.revision === rack.revision && a.found < a.expected,
    ).length;
    warnings = Math.max(warnings, short);
    const withMac = effectiveMacs(rack, await readBindings(opts.stateDir)).size;
    process.stdout.write(
      `enlistment done: ${withMac} of ${rack.nodes.length} Pis have a MAC and a fixed address; ${warnings === 0 ? 'no warnings' : `${warnings} warning(s) above`}\n`,
    );
    await runtime.writeStatus().catch(() => undefined);
    return warnings === 0 ? 0 : 1;
  } finally {
    unsubscribe();
    unwatch();
    await runtime.close();
  }
}

export function enlistCommand(): Command {
  const enlist = addRackOptions(new Command('enlist'))
    .description(
      'enlist the Pis rack.yaml declares without a MAC: power their stacks on one at a time, bind the MACs seen by dnsmasq ' +
        '(in discovery order, to ascending Pi ids), write the static DHCP entries, power-cycle, and check each Pi answers at its fixed IP. ' +
        'With every MAC known it only writes the DHCP entries. Exit 1 when a stack yielded fewer Pis than declared.',
    )
    .option('--yes', 'confirm switching stacks off with a real relay (onoff, gpiod)')
    .action(async (opts: RackOptions & { yes?: boolean }) => {
      process.exitCode = await runEnlist(opts, createLogger().child({ command: 'enlist' }));
    });
  enlist.addCommand(
    addRackOptions(new Command('release'))
      .description(
        "forget a Pi's bound MAC (a replaced Pi) so it is enlisted again; a MAC pinned in rack.yaml must be changed there instead",
      )
      .argument('<pi>', 'the Pi id')
      .action(async (piText: string, _local: RackOptions, command: Command) => {
        // Commander hands --rack/--state-dir given after `release` to `enlist`, which defines them too;
        // merged, the values given anywhere win over the defaults.
        const opts = command.optsWithGlobals<RackOptions>();
        const id = Number(piText);
        if (!Number.isInteger(id) || id < 1) throw pirackError('PIRACK_ERR_USAGE', `<pi> must be a Pi id, got "${piText}"`);
        const rack = await readRack(opts.rack, opts.allowSource);
        const node = rack.nodes.find((n) => n.id === id);
        if (!node) throw pirackError('PIRACK_ERR_USAGE', `no pi ${id} in ${rack.sourcePath}`);
        if (node.mac !== undefined)
          throw pirackError('PIRACK_ERR_USAGE', `pi ${id}'s MAC ${node.mac} is pinned in rack.yaml; change or remove it there`);
        const released = await releaseBinding(opts.stateDir, id);
        if (released === undefined) {
          process.stdout.write(`pi ${id} had no bound MAC; it will be enlisted with its stack\n`);
          return;
        }
        const left = Object.keys(await readBindings(opts.stateDir)).length;
        process.stdout.write(`pi ${id}: released ${released} (${left} bindings left); run \`pirack enlist\` or let the daemon enlist it\n`);
      }),
  );
  return enlist;
}
