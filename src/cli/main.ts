/**
 * The `pirack` command line. The only place that decides exit codes: library code returns values
 * or throws PiRackError, and this turns them into a message that says what to do.
 *
 * Commands load lazily: a run imports only the module of the command it names, so `pirack
 * validate` never loads the lab, fastify or ssh2. The top-level help lists every command from
 * commands.json, which `npm run build` writes into dist/ beside this module (commandManifest());
 * a run from the sources, which has none, loads every command to list them.
 */
import { Command, CommanderError, Help } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isPiRackError } from '../errors.ts';
import { EXIT } from './exit-codes.ts';

/** Every command, in the order of the help, and how to load it. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  validate: async () => (await import('./commands/validate.ts')).validateCommand(),
  plan: async () => (await import('./commands/plan.ts')).planCommand(),
  apply: async () => (await import('./commands/apply.ts')).applyCommand(),
  daemon: async () => (await import('./commands/daemon.ts')).daemonCommand(),
  status: async () => (await import('./commands/status.ts')).statusCommand(),
  import: async () => (await import('./commands/import.ts')).importCommand(),
  hostkey: async () => (await import('./commands/hostkey.ts')).hostkeyCommand(),
  power: async () => (await import('./commands/power.ts')).powerCommand(),
  enlist: async () => (await import('./commands/enlist.ts')).enlistCommand(),
  replace: async () => (await import('./commands/replace.ts')).replaceCommand(),
  master: async () => (await import('./commands/master.ts')).masterCommand(),
  suspend: async () => (await import('./commands/maintenance.ts')).suspendCommand(),
  resume: async () => (await import('./commands/maintenance.ts')).resumeCommand(),
  reconcile: async () => (await import('./commands/maintenance.ts')).reconcileCommand(),
  get: async () => (await import('./commands/get.ts')).getCommand(),
  describe: async () => (await import('./commands/get.ts')).describeCommand(),
  run: async () => (await import('./commands/run.ts')).runCommand(),
  upgrade: async () => (await import('./commands/run.ts')).upgradeCommand(),
  ssh: async () => (await import('./commands/ssh.ts')).sshCommand(),
  logs: async () => (await import('./commands/ssh.ts')).logsCommand(),
  lab: async () => (await import('../lab/cli.ts')).labCommand(),
  demo: async () => (await import('./commands/demo.ts')).demoCommand(),
  bench: async () => (await import('./commands/bench.ts')).benchCommand(),
  'safety-net': async () => (await import('./commands/safety-net.ts')).safetyNetCommand(),
};

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** A command as the top-level help lists it. */
export interface CommandEntry {
  readonly name: string;
  readonly term: string;
  readonly description: string;
}

/** Written by `npm run build`; absent in src/. */
export const COMMAND_MANIFEST = fileURLToPath(new URL('./commands.json', import.meta.url));

/** The command a command line runs (`pirack help X` included), if it names one. */
export function commandNamed(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? name : undefined;
}

/** Loads every command and describes it as the help would: what the build stores. */
export async function commandManifest(): Promise<CommandEntry[]> {
  const program = await buildProgram(COMMAND_NAMES);
  const help = program.createHelp();
  return program.commands.map((c) => ({ name: c.name(), term: help.subcommandTerm(c), description: help.subcommandDescription(c) }));
}

function readManifest(): Map<string, CommandEntry> | undefined {
  if (!existsSync(COMMAND_MANIFEST)) return undefined;
  const entries = JSON.parse(readFileSync(COMMAND_MANIFEST, 'utf8')) as CommandEntry[];
  return new Map(entries.map((e) => [e.name, e]));
}

/**
 * The program with the named commands loaded; the others are listed from the manifest, or all
 * loaded when there is none.
 */
export async function buildProgram(load: readonly string[]): Promise<Command> {
  const program = new Command('pirack')
    .description(
      'Keep a rack of Raspberry Pis equal to rack.yaml: stacks powered, Pis enlisted, keys, packages, files and services in place.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const manifest = readManifest();
  const listed = new Map<Command, CommandEntry>();
  for (const name of COMMAND_NAMES) {
    const entry = manifest?.get(name);
    if (entry && !load.includes(name)) {
      const placeholder = new Command(name).description(entry.description);
      listed.set(placeholder, entry);
      program.addCommand(placeholder);
    } else {
      program.addCommand(await COMMANDS[name]!());
    }
  }
  program.configureHelp({
    subcommandTerm: (c) => listed.get(c)?.term ?? Help.prototype.subcommandTerm.call(program.createHelp(), c),
  });
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
  // `pirack … --help | head`: the reader went away, which is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
    throw err;
  });
  try {
    const named = commandNamed(argv);
    const program = await buildProgram(named === undefined ? [] : [named]);
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed the message (or the help / version text).
      return err.exitCode === 0 ? EXIT.OK : EXIT.ERROR;
    }
    if (isPiRackError(err)) {
      process.stderr.write(`pirack: ${err.describe()}\n`);
      return EXIT.ERROR;
    }
    process.stderr.write(`pirack: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.ERROR;
  }
}
