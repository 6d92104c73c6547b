/**
 * `pirack plan`: what the daemon would do, per Pi and stack, without changing anything on the
 * rack. `--rack candidate.yaml` plans an uncommitted file against the live rack; `--exit-code`
 * makes the answer a gate for a CI job or a commit hook (src/cli/exit-codes.ts).
 */
import { Command } from 'commander';
import type { NodeSpec } from '../../model/desired.ts';
import { fileDiff, MAX_DIFF_BYTES, type FileDiff } from '../../model/file-diff.ts';
import { RACK_KEY, stackKey } from '../../reconcile/keys.ts';
import type { NodePassResult } from '../../reconcile/node-pass.ts';
import { targetOf } from '../../reconcile/node-pass.ts';
import { openRuntime, type Runtime } from '../../daemon/runtime.ts';
import { readRemoteFile } from '../../remote/read-file.ts';
import { createLogger } from '../../log.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { EXIT } from '../exit-codes.ts';
import { progress } from '../output.ts';
import { planExitCode, planJson, planTable, type ScopePass } from '../plan-report.ts';
import { parseIdList, selectNodes } from '../select.ts';

interface PlanOptions extends RackOptions {
  readonly json?: boolean;
  readonly pi?: string;
  readonly stack?: string;
  readonly selector?: string;
  readonly exitCode?: boolean;
  readonly diff: boolean;
}

export function planCommand(): Command {
  return addRackOptions(new Command('plan'))
    .description('show what would change on each Pi and stack (read-only probes; nothing is changed)')
    .option('--json', 'print the plan as JSON')
    .option('--pi <ids>', 'only these Pis, comma-separated ids')
    .option('--stack <ids>', 'only the Pis of these stacks (and their relays), comma-separated ids')
    .option('-l, --selector <labels>', 'only the Pis whose labels match, e.g. role=worker,zone!=top (rack.yaml labels:)')
    .option('--exit-code', 'exit 0 in sync, 1 when something would change, 2 on an error, 3 when some Pis could not be probed')
    .option('--no-diff', 'do not read managed files from the Pis to show unified diffs of their contents')
    .addHelpText(
      'after',
      '\nA candidate rack.yaml is planned against the live rack with --rack candidate.yaml: nothing is applied or saved.\nSecrets are masked in diffs; a file that is not world-readable is never shown.',
    )
    .action(async (opts: PlanOptions) => {
      process.exitCode = await runPlan(opts);
    });
}

/** Kept for `apply --pi`; the selection rules live in src/cli/select.ts. */
export function parseIds(list: string): number[] {
  return parseIdList(list, '--pi');
}

async function runPlan(opts: PlanOptions): Promise<number> {
  const rack = await readRack(opts.rack, opts.allowSource);
  const selection = selectNodes(rack, opts);
  const log = createLogger({ level: process.env.PIRACK_LOG_LEVEL ?? 'warn' });
  // The same loop as the daemon in its observe mode: it probes and plans, never applies.
  const runtime = await openRuntime(rack, { stateDir: opts.stateDir, log, mode: 'observe' });
  try {
    if (!opts.json) progress(`probing ${selection.nodes.length} Pis of ${rack.name}…`);
    const nodes = await runtime.reconciler.runNodes(selection.nodes.map((n) => n.id));
    // After the Pis, so the power controller plans from what they just answered.
    const scopeKeys = [...(opts.pi === undefined ? selection.stacks.map(stackKey) : []), ...(selection.whole ? [RACK_KEY] : [])];
    const scopes = (await runtime.reconciler.runOnce(scopeKeys)).filter((r): r is ScopePass => r.scope !== 'node');
    const diffs = opts.diff ? await gatherDiffs(runtime, selection.nodes, nodes) : new Map();
    const input = { rack, nodes, scopes, diffs };
    process.stdout.write(opts.json ? `${JSON.stringify(planJson(input), null, 2)}\n` : `${planTable(input)}\n`);
    return opts.exitCode ? planExitCode(input) : EXIT.OK;
  } finally {
    await runtime.close();
  }
}

/** Reads, read-only, each file a Pi's plan would rewrite, to diff it with the declared content. */
async function gatherDiffs(
  runtime: Runtime,
  specs: readonly NodeSpec[],
  results: readonly NodePassResult[],
): Promise<Map<number, Map<string, FileDiff>>> {
  const port = runtime.reconciler.desired.ssh.port;
  const all = await Promise.all(
    results.map(async (r) => {
      const node = specs.find((n) => n.id === r.node)!;
      const perFile = new Map<string, FileDiff>();
      for (const action of r.planned) {
        if (action.kind !== 'file-write') continue;
        const file = node.files.find((f) => f.path === action.path);
        if (!file) continue;
        const seen =
          action.reason === 'missing'
            ? ({ kind: 'missing' } as const)
            : await readRemoteFile(runtime.ssh, targetOf(node, port), file.path, { maxBytes: MAX_DIFF_BYTES });
        perFile.set(
          file.path,
          seen.kind === 'failed'
            ? { kind: 'withheld', path: file.path, why: `cannot read it on the Pi: ${seen.message}` }
            : fileDiff(file.path, file.content, file.mode, seen.kind === 'content' ? seen.text : undefined),
        );
      }
      return [r.node, perFile] as const;
    }),
  );
  return new Map(all.filter(([, m]) => m.size > 0));
}
