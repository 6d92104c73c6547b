/** `pirack import`: the original's structure_rack.ini (and dict_rasps.csv, configuration.ini) → rack.yaml. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { runImport, type ImportIo, type ImportOptions, type ImportReport } from '../../import/run.ts';
import { formatImportProblem } from '../../import/problem.ts';

interface ImportFlags {
  readonly inventory?: string;
  readonly actions?: string;
  readonly out: string;
  readonly force?: boolean;
  readonly trustSections?: boolean;
  readonly relay: 'onoff' | 'manual';
  readonly pins?: Record<number, number>;
  readonly name: string;
}

/** `5=16,6=20` → {5: 16, 6: 20}. */
export function parsePins(text: string): Record<number, number> {
  const pins: Record<number, number> = {};
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*[=:]\s*(\d+)\s*$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected <stack>=<BCM line>[,...], e.g. 5=16,6=20; got "${part}"`);
    pins[Number(m[1])] = Number(m[2]);
  }
  return pins;
}

/** Prints the report; returns the exit code. Diagnostics go to `err` so `--out -` stays clean YAML. */
export function printImportReport(
  report: ImportReport,
  opts: Pick<ImportOptions, 'out'>,
  out: (t: string) => void,
  err: (t: string) => void,
): number {
  const lines = [...report.warnings.map((w) => formatImportProblem(w, 'warning: ')), ...report.problems.map((p) => formatImportProblem(p))];
  if (lines.length > 0) err(`${lines.join('\n')}\n`);
  if (!report.ok) {
    err(`pirack import: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}; nothing was written.\n`);
    return 1;
  }
  if (opts.out === '-') out(report.text ?? '');
  else
    out(
      `wrote ${opts.out}: ${report.stacks} stacks, ${report.pis} Pis (validated). Check it with \`pirack validate --rack ${opts.out}\`.\n`,
    );
  return 0;
}

export function importCommand(io?: ImportIo): Command {
  return new Command('import')
    .description("write rack.yaml from the original PiRack's structure_rack.ini (and dict_rasps.csv, configuration.ini)")
    .argument('<structure_rack.ini>', 'the rack shape: [rack] pi_stack, nbr_stack, rows, cols and one [N] section per stack')
    .option(
      '--inventory <dict_rasps.csv>',
      'Pis discovered by the original installer (id,mac,stack,ip); without it, pi_stack Pis per stack get fixed IPs from 192.168.23.70 up',
    )
    .option('--actions <configuration.ini>', 'the original [rasps] / [stacks] actions')
    .option('--out <file>', 'where to write rack.yaml (- for standard output)', 'rack.yaml')
    .option('--force', 'replace --out if it exists')
    .option(
      '--trust-sections',
      'when nbr_stack disagrees with the stack sections listed, import the sections (with a warning) instead of failing',
    )
    .addOption(
      new Option('--relay <driver>', 'relay driver: onoff needs a GPIO pin per stack; manual asks a person to switch stacks')
        .choices(['onoff', 'manual'])
        .default('onoff'),
    )
    .option('--pins <list>', 'BCM GPIO lines for stacks beyond the original four (18, 25, 12, 21), e.g. 5=16,6=20', parsePins)
    .option('--name <name>', 'rack name', 'pirack')
    .action(async (structure: string, flags: ImportFlags) => {
      const opts: ImportOptions = {
        structure,
        out: flags.out,
        relay: flags.relay,
        name: flags.name,
        ...(flags.inventory !== undefined ? { inventory: flags.inventory } : {}),
        ...(flags.actions !== undefined ? { actions: flags.actions } : {}),
        ...(flags.force ? { force: true } : {}),
        ...(flags.trustSections ? { trustSections: true } : {}),
        ...(flags.pins ? { pins: flags.pins } : {}),
      };
      const report = await runImport(opts, io);
      const toStdout = (t: string) => process.stdout.write(t);
      const toStderr = (t: string) => process.stderr.write(t);
      process.exitCode = printImportReport(report, opts, toStdout, toStderr);
    });
}
