/**
 * `pirack ssh N [command]` and `pirack logs N [-u unit] [-f] [-n lines]`: a look at one Pi with
 * OpenSSH, the daemon's key and the pinned host key (src/cli/pinned-ssh.ts), never trust on first
 * use. ssh's own exit code is the command's.
 */
import { Command, InvalidArgumentError } from 'commander';
import { pirackError } from '../../errors.ts';
import type { RackSpec } from '../../model/desired.ts';
import { shellCommand } from '../../ssh/quote.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { pinnedSsh } from '../pinned-ssh.ts';

function piId(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a Pi id');
  return Number(value);
}

function nodeOf(rack: RackSpec, id: number) {
  const node = rack.nodes.find((n) => n.id === id);
  if (!node) throw pirackError('PIRACK_ERR_USAGE', `no pi ${id} in ${rack.sourcePath} (Pis: ${rack.nodes.map((n) => n.id).join(', ')})`);
  return node;
}

/** The journalctl command line `pirack logs` runs on the Pi. */
export function journalCommand(opts: { unit?: string; follow?: boolean; lines: number }): string {
  return shellCommand([
    'journalctl',
    '--no-pager',
    '-n',
    String(opts.lines),
    ...(opts.unit ? ['-u', opts.unit] : []),
    ...(opts.follow ? ['-f'] : []),
  ]);
}

export function sshCommand(): Command {
  return addRackOptions(new Command('ssh'))
    .description("a shell (or one command) on a Pi, as rack.yaml's ssh user with the daemon's key; the host key must match its pin")
    .argument('<pi>', 'Pi id', piId)
    .argument('[command...]', 'run this instead of a shell (one argument each, quoted for the Pi)')
    .action(async (id: number, words: string[], opts: RackOptions) => {
      const rack = await readRack(opts.rack, opts.allowSource);
      process.exitCode = await pinnedSsh(rack, nodeOf(rack, id), opts.stateDir, words.length > 0 ? shellCommand(words) : undefined);
    });
}

export function logsCommand(): Command {
  return addRackOptions(new Command('logs'))
    .description("a Pi's journal over SSH (pinned host key): the whole system, or one unit")
    .argument('<pi>', 'Pi id', piId)
    .option('-u, --unit <unit>', 'only this systemd unit (e.g. pirack-slave.service)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --lines <n>', 'lines to show first', (v) => piId(v), 200)
    .action(async (id: number, opts: RackOptions & { unit?: string; follow?: boolean; lines: number }) => {
      const rack = await readRack(opts.rack, opts.allowSource);
      process.exitCode = await pinnedSsh(rack, nodeOf(rack, id), opts.stateDir, journalCommand(opts));
    });
}
