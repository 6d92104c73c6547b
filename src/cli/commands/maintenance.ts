/**
 * `pirack suspend`, `pirack resume` and `pirack reconcile`: maintenance mode and "look now". They
 * talk to the running daemon (src/cli/daemon-client.ts). Without a daemon, suspend and resume
 * write the holds into the state dir, where the next daemon (and `apply --once`, `power`) finds
 * them; reconcile needs a daemon (`pirack apply --once` is the one-shot without).
 */
import { hostname } from 'node:os';
import { Command } from 'commander';
import { pirackError } from '../../errors.ts';
import { addHold, describeHold, holdTargetLabel, removeHold, type HoldTarget } from '../../reconcile/maintenance.ts';
import { loadMaintenance, saveMaintenance } from '../../state/maintenance-file.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { findDaemon, type DaemonClient } from '../daemon-client.ts';
import { EXIT } from '../exit-codes.ts';
import { progress } from '../output.ts';
import { parseIdList, selectNodes } from '../select.ts';
import { cliOperator } from './power.ts';

interface TargetOptions extends RackOptions {
  readonly stack?: string;
  readonly pi?: string;
}

/** One target: `--stack N`, `--pi N`, or the rack. Checked against rack.yaml before anything is asked. */
async function targetOf(opts: TargetOptions): Promise<HoldTarget> {
  if (opts.stack !== undefined && opts.pi !== undefined)
    throw pirackError('PIRACK_ERR_USAGE', 'name --stack or --pi, not both; nothing was done');
  const rack = await readRack(opts.rack, opts.allowSource);
  selectNodes(rack, opts); // unknown ids are refused here, with what exists
  const one = (value: string, option: string): number => {
    const ids = parseIdList(value, option);
    if (ids.length !== 1) throw pirackError('PIRACK_ERR_USAGE', `${option} takes one id here, got "${value}"; nothing was done`);
    return ids[0]!;
  };
  if (opts.stack !== undefined) return { scope: 'stack', id: one(opts.stack, '--stack') };
  if (opts.pi !== undefined) return { scope: 'pi', id: one(opts.pi, '--pi') };
  return { scope: 'rack' };
}

function body(target: HoldTarget): Record<string, number> {
  return target.scope === 'rack' ? {} : { [target.scope]: target.id };
}

async function ask(daemon: DaemonClient, path: string, payload: unknown): Promise<number> {
  progress(`a daemon runs (pid ${daemon.record.pid}): asking it`);
  const answer = await daemon.request<{ ok: boolean; message: string }>('POST', path, payload);
  if (answer.body.ok) {
    process.stdout.write(`${answer.body.message}\n`);
    return EXIT.OK;
  }
  process.stderr.write(`pirack: the daemon refused: ${answer.body.message}\n`);
  return EXIT.ERROR;
}

function targetOptions(command: Command): Command {
  return addRackOptions(command)
    .option('--stack <id>', 'a stack instead of the whole rack')
    .option('--pi <id>', 'a Pi instead of the whole rack');
}

export function suspendCommand(): Command {
  return targetOptions(new Command('suspend'))
    .description('maintenance mode: hold the rack, a stack or a Pi (no pass, no power change, no power-cycle, no enlistment) until resume')
    .requiredOption('--reason <text>', 'why, shown in the status and on the dashboard')
    .addHelpText(
      'after',
      "\nA Pi's hold also holds its stack's relay and enlistment (switching the stack would switch the Pi).\nThe hold is kept in the state dir and survives a daemon restart.",
    )
    .action(async (opts: TargetOptions & { reason: string }) => {
      const target = await targetOf(opts);
      const by = `${cliOperator('suspend').replace(' (pirack suspend)', '')}@${hostname()}`;
      const daemon = await findDaemon(opts.stateDir);
      if (daemon) {
        process.exitCode = await ask(daemon, '/api/v1/suspend', { ...body(target), reason: opts.reason, by });
        return;
      }
      const { state } = await loadMaintenance(opts.stateDir);
      const hold = { ...target, by, reason: opts.reason, at: Date.now() };
      await saveMaintenance(opts.stateDir, addHold(state, hold));
      process.stdout.write(`${describeHold(hold)} (no daemon runs: recorded in ${opts.stateDir}; the daemon honours it when it starts)\n`);
    });
}

export function resumeCommand(): Command {
  return targetOptions(new Command('resume'))
    .description('lift the maintenance hold on the rack, a stack or a Pi; what it held is looked at at once')
    .action(async (opts: TargetOptions) => {
      const target = await targetOf(opts);
      const daemon = await findDaemon(opts.stateDir);
      if (daemon) {
        process.exitCode = await ask(daemon, '/api/v1/resume', body(target));
        return;
      }
      const { state } = await loadMaintenance(opts.stateDir);
      const { state: next, removed } = removeHold(state, target);
      if (!removed) {
        const others = state.holds.map(describeHold);
        throw pirackError(
          'PIRACK_ERR_USAGE',
          `${holdTargetLabel(target)} is not suspended${others.length > 0 ? ` (holds: ${others.join('; ')})` : ''}; nothing was changed`,
        );
      }
      await saveMaintenance(opts.stateDir, next);
      process.stdout.write(`${holdTargetLabel(target)} resumed (no daemon runs: recorded in ${opts.stateDir})\n`);
    });
}

export function reconcileCommand(): Command {
  return addRackOptions(new Command('reconcile'))
    .description('ask the running daemon for a pass now: every key, or only --pi IDS')
    .option('--pi <ids>', 'only these Pis, comma-separated ids')
    .action(async (opts: RackOptions & { pi?: string }) => {
      const daemon = await findDaemon(opts.stateDir);
      if (!daemon)
        throw pirackError('PIRACK_ERR_USAGE', `no daemon runs on ${opts.stateDir}; \`pirack apply --once\` converges without one`);
      const pis = opts.pi !== undefined ? parseIdList(opts.pi, '--pi') : undefined;
      process.exitCode = await ask(daemon, '/api/v1/reconcile', pis ? { pis } : undefined);
    });
}
