/** `pirack validate`: check rack.yaml and print every problem with file:line:column, or a summary. */
import { Command } from 'commander';
import { relative, resolve } from 'node:path';
import { loadRackResult, type ParseRackOptions } from '../../config/load.ts';
import { formatProblem, type Problem } from '../../config/problem.ts';
import { resolveBuiltin } from '../../slave/bundle.ts';
import { ALLOW_SOURCE_HELP, collect } from '../common.ts';

export interface ValidateOptions {
  readonly rack: string;
  readonly json?: boolean;
  /** The daemon needs its key; off the master a missing key is only a warning unless asked. */
  readonly requireKey?: boolean;
  /** --allow-source folders, as the daemon would be started with. */
  readonly allowSource?: readonly string[];
}

/** Where output goes and how rack.yaml's references are read; tests swap them. */
export interface ValidateIo {
  readonly out: (text: string) => void;
  readonly load?: Partial<ParseRackOptions>;
}

/** Runs the check and returns the exit code: 0 valid, 1 problems. */
export async function runValidate(opts: ValidateOptions, io: ValidateIo): Promise<number> {
  const abs = resolve(opts.rack);
  const shown = relative(process.cwd(), abs) || opts.rack;
  const result = await loadRackResult(abs, {
    resolveBuiltin,
    requireKey: opts.requireKey ?? false,
    sourcePath: shown,
    allowedSourceDirs: opts.allowSource ?? [],
    ...io.load,
  });
  if (opts.json) {
    const body = result.ok
      ? {
          ok: true,
          file: shown,
          revision: result.rack.revision,
          stacks: result.rack.stacks.length,
          pis: result.rack.nodes.length,
          problems: [],
          warnings: result.warnings,
        }
      : { ok: false, file: shown, problems: result.problems, warnings: result.warnings };
    io.out(`${JSON.stringify(body, null, 2)}\n`);
    return result.ok ? 0 : 1;
  }
  const warn = (p: Problem) => formatProblem(shown, { ...p, message: `warning: ${p.message}` });
  const lines = result.warnings.map(warn);
  if (result.ok) {
    const r = result.rack;
    lines.push(`${shown}: ok (${r.stacks.length} stacks, ${r.nodes.length} Pis, revision ${r.revision})`);
  } else {
    lines.push(...result.problems.map((p) => formatProblem(shown, p)));
    lines.push(`${shown}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}; nothing was applied.`);
  }
  io.out(`${lines.join('\n')}\n`);
  return result.ok ? 0 : 1;
}

export function validateCommand(): Command {
  return new Command('validate')
    .description('check rack.yaml against the schema and the rules beyond it; prints every problem with file:line:column')
    .option('--rack <file>', 'the desired state (env PIRACK_RACK)', process.env.PIRACK_RACK ?? 'rack.yaml')
    .option('--json', 'print the result as JSON')
    .option('--allow-source <dir>', ALLOW_SOURCE_HELP, collect, [])
    .option('--require-key', "fail when the daemon's public key (<ssh.keyFile>.pub) is missing, as the daemon does")
    .action(async (opts: ValidateOptions) => {
      process.exitCode = await runValidate(opts, { out: (t) => process.stdout.write(t) });
    });
}
