/**
 * The `pirack` command line. The only place that decides exit codes: library code returns values
 * or throws PiRackError, and this turns them into a message that says what to do.
 */
import { Command, CommanderError } from 'commander';
import { isPiRackError } from '../errors.ts';
import { applyCommand } from './commands/apply.ts';
import { benchCommand } from './commands/bench.ts';
import { daemonCommand } from './commands/daemon.ts';
import { demoCommand } from './commands/demo.ts';
import { hostkeyCommand } from './commands/hostkey.ts';
import { enlistCommand } from './commands/enlist.ts';
import { importCommand } from './commands/import.ts';
import { labCommand } from '../lab/cli.ts';
import { powerCommand } from './commands/power.ts';
import { planCommand } from './commands/plan.ts';
import { safetyNetCommand } from './commands/safety-net.ts';
import { statusCommand } from './commands/status.ts';
import { validateCommand } from './commands/validate.ts';

export function buildProgram(): Command {
  const program = new Command('pirack')
    .description('Keep a rack of Raspberry Pis equal to rack.yaml: stacks powered, Pis enlisted, keys, packages, files and services in place.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const commands = [
    validateCommand(), planCommand(), applyCommand(), daemonCommand(), statusCommand(),
    importCommand(), hostkeyCommand(), powerCommand(), enlistCommand(), labCommand(), demoCommand(), benchCommand(), safetyNetCommand(),
  ];
  for (const command of commands) program.addCommand(command);
  // Subcommands inherit exitOverride only when set on each.
  const override = (c: Command): void => {
    c.exitOverride();
    c.showHelpAfterError('(run with --help for usage)');
    c.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed the message (or the help / version text).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isPiRackError(err)) {
      process.stderr.write(`pirack: ${err.describe()}\n`);
      return err.code === 'PIRACK_ERR_USAGE' ? 2 : 1;
    }
    process.stderr.write(`pirack: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
