/** `pirack apply --once`: converge every Pi and exit, zero only when the whole rack matches. */
import { Command } from 'commander';
import { describeAction } from '../../model/actions.ts';
import { openRuntime } from '../../daemon/runtime.ts';
import { createLogger } from '../../log.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { formatMs, progress } from '../output.ts';
import { parseIds } from './plan.ts';

export function applyCommand(): Command {
  return addRackOptions(new Command('apply'))
    .description('converge the rack to rack.yaml once and exit (0 when every Pi matches, 1 otherwise)')
    .requiredOption('--once', 'run one converging pass and exit (continuous reconciling is `pirack daemon`)')
    .option('--pi <ids>', 'only these Pis, comma-separated ids')
    .option('--json', 'print the result as JSON')
    .action(async (opts: RackOptions & { json?: boolean; pi?: string }) => {
      const rack = await readRack(opts.rack, opts.allowSource);
      const log = createLogger();
      const runtime = await openRuntime(rack, { stateDir: opts.stateDir, log });
      const started = Date.now();
      runtime.tracker.revisions = { lastAttemptedRevision: rack.revision, revisionErrors: [] };
      try {
        const results = await runtime.reconciler.runOnce({
          ...(opts.pi ? { nodes: parseIds(opts.pi) } : {}),
          onProgress: (done, total, r) => {
            const what = r.error ? `failed: ${r.error.message}` : r.remaining.length > 0 ? `${r.remaining.length} actions left` : r.applied.length > 0 ? `converged (${r.applied.length} actions)` : 'in sync';
            if (!opts.json) progress(`[${done}/${total}] pi ${r.node}: ${what} in ${formatMs(r.durationMs)}`);
          },
        });
        const failed = results.filter((r) => r.error || r.remaining.length > 0);
        if (failed.length === 0) runtime.tracker.revisions = { ...runtime.tracker.revisions, lastAppliedRevision: rack.revision };
        runtime.tracker.recordPassEnd(Date.now() - started);
        await runtime.writeStatus();
        const applied = results.reduce((n, r) => n + r.applied.length, 0);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ converged: failed.length === 0, applied, pis: results.map((r) => ({ pi: r.node, applied: r.applied.map((a) => ({ ...a.action, ok: a.result.ok })), remaining: r.remaining, ...(r.error ? { error: r.error.toJSON() } : {}) })) }, null, 2)}\n`);
        } else if (failed.length === 0) {
          process.stdout.write(`rack ${rack.name}: all ${results.length} Pis match rack.yaml (${applied} actions applied in ${formatMs(Date.now() - started)}).\n`);
        } else {
          process.stdout.write(`rack ${rack.name}: ${failed.length} of ${results.length} Pis did not converge (${applied} actions applied):\n`);
          for (const r of failed) {
            const why = r.error ? r.error.describe() : `still pending: ${r.remaining.map(describeAction).join('; ')}`;
            process.stdout.write(`  pi ${r.node}: ${why}\n`);
          }
        }
        process.exitCode = failed.length === 0 ? 0 : 1;
      } finally {
        await runtime.close();
      }
    });
}
