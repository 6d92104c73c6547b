/**
 * `pirack apply --once`: one pass of every key (each stack, the rack, each Pi) through the same
 * loop as the daemon, then exit, zero only when the whole rack matches. When a daemon runs on the
 * state dir, it is asked to reconcile now and the command waits for its report instead.
 */
import { Command } from 'commander';
import { describeAction } from '../../model/actions.ts';
import type { StatusReport } from '../../model/status.ts';
import { openRuntime } from '../../daemon/runtime.ts';
import { piKey } from '../../reconcile/keys.ts';
import { createLogger } from '../../log.ts';
import { sleep } from '../../util/sleep.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { findDaemon, type DaemonClient } from '../daemon-client.ts';
import { formatMs, progress } from '../output.ts';
import { parseIds } from './plan.ts';

/** How long `apply --once` waits for a running daemon to converge the rack. */
const DAEMON_WAIT_MS = 600_000;

async function throughDaemon(daemon: DaemonClient, ids: readonly number[] | undefined, json: boolean): Promise<number> {
  const asked = await daemon.request<{ message: string }>('POST', '/api/v1/reconcile');
  if (asked.status >= 300) throw new Error(`the daemon refused: ${asked.body.message}`);
  if (!json) progress(`a daemon runs (pid ${daemon.record.pid}): asked it to reconcile now, waiting for its report…`);
  const started = Date.now();
  const wanted = (s: StatusReport) => s.nodes.filter((n) => !ids || ids.includes(n.id));
  let status: StatusReport | undefined;
  // Every Pi looked at since we asked (it answered, failed, or is powered off by design), and
  // each either Ready or not converging for a reason the report gives: then the verdict is in.
  const after = (iso: string | undefined) => iso !== undefined && Date.parse(iso) >= started - 1000;
  const isReady = (n: StatusReport['nodes'][number]) => n.conditions.find((c) => c.type === 'Ready')?.status === 'True';
  const looked = (n: StatusReport['nodes'][number]) =>
    after(n.lastSeen) || after(n.lastError?.at) || n.conditions.some((c) => c.reason === 'PoweredOff');
  while (Date.now() - started < DAEMON_WAIT_MS) {
    await sleep(1000);
    status = (await daemon.request<StatusReport>('GET', '/api/v1/status')).body;
    const nodes = wanted(status);
    if (nodes.every(looked) && nodes.every((n) => isReady(n) || after(n.lastError?.at))) break;
  }
  const failed = wanted(status!).filter((n) => n.conditions.find((c) => c.type === 'Ready')?.status !== 'True');
  if (json)
    process.stdout.write(
      `${JSON.stringify({ converged: failed.length === 0, daemon: daemon.record.pid, pis: wanted(status!) }, null, 2)}\n`,
    );
  else if (failed.length === 0)
    process.stdout.write(
      `rack ${status!.rack.name}: all ${wanted(status!).length} Pis match rack.yaml (converged by the daemon, pid ${daemon.record.pid}).\n`,
    );
  else {
    process.stdout.write(
      `rack ${status!.rack.name}: ${failed.length} of ${wanted(status!).length} Pis did not converge (daemon pid ${daemon.record.pid}):\n`,
    );
    for (const n of failed)
      process.stdout.write(`  pi ${n.id}: ${n.conditions.find((c) => c.type === 'Ready')?.message ?? 'not looked at yet'}\n`);
  }
  return failed.length === 0 ? 0 : 1;
}

export function applyCommand(): Command {
  return addRackOptions(new Command('apply'))
    .description('converge the rack to rack.yaml once and exit (0 when every Pi matches, 1 otherwise); goes through a running daemon')
    .requiredOption('--once', 'run one converging pass and exit (continuous reconciling is `pirack daemon`)')
    .option('--pi <ids>', 'only these Pis, comma-separated ids')
    .option('--json', 'print the result as JSON')
    .action(async (opts: RackOptions & { json?: boolean; pi?: string }) => {
      const rack = await readRack(opts.rack, opts.allowSource);
      const ids = opts.pi ? parseIds(opts.pi) : undefined;
      const daemon = await findDaemon(opts.stateDir);
      if (daemon) {
        process.exitCode = await throughDaemon(daemon, ids, opts.json ?? false);
        return;
      }
      const log = createLogger();
      const runtime = await openRuntime(rack, { stateDir: opts.stateDir, log });
      const started = Date.now();
      runtime.setRevisions({ lastAttemptedRevision: rack.revision, revisionErrors: [] });
      try {
        // Stacks and the rack first (power, DHCP entries), then the Pis: one pass each.
        const keys = ids ? ids.map(piKey) : runtime.reconciler.keys();
        const reports = await runtime.reconciler.runOnce(keys);
        const results = reports.flatMap((r) => (r.scope === 'node' ? [r] : []));
        const rackErrors = reports.flatMap((r) => (r.scope !== 'node' && r.error ? [`${r.key}: ${r.error.describe()}`] : []));
        results.forEach(({ result: r, poweredOff }, i) => {
          const what = poweredOff
            ? `not looked at: its stack is powered off (${poweredOff})`
            : r.error
              ? `failed: ${r.error.message}`
              : r.remaining.length > 0
                ? `${r.remaining.length} actions left`
                : r.applied.length > 0
                  ? `converged (${r.applied.length} actions)`
                  : 'in sync';
          if (!opts.json) progress(`[${i + 1}/${results.length}] pi ${r.node}: ${what} in ${formatMs(r.durationMs)}`);
        });
        const failed = results.map((r) => r.result).filter((r) => r.error || r.remaining.length > 0);
        const converged = failed.length === 0 && rackErrors.length === 0;
        if (converged)
          runtime.setRevisions({ lastAttemptedRevision: rack.revision, lastAppliedRevision: rack.revision, revisionErrors: [] });
        await runtime.writeStatus();
        const applied = results.reduce((n, r) => n + r.result.applied.length, 0);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ converged, applied, pis: results.map(({ result: r }) => ({ pi: r.node, applied: r.applied.map((a) => ({ ...a.action, ok: a.result.ok })), remaining: r.remaining, ...(r.error ? { error: r.error.toJSON() } : {}) })), ...(rackErrors.length > 0 ? { rackErrors } : {}) }, null, 2)}\n`,
          );
        } else if (converged) {
          process.stdout.write(
            `rack ${rack.name}: all ${results.length} Pis match rack.yaml (${applied} actions applied in ${formatMs(Date.now() - started)}).\n`,
          );
        } else {
          process.stdout.write(
            `rack ${rack.name}: ${failed.length} of ${results.length} Pis did not converge (${applied} actions applied):\n`,
          );
          for (const r of failed) {
            const why = r.error ? r.error.describe() : `still pending: ${r.remaining.map(describeAction).join('; ')}`;
            process.stdout.write(`  pi ${r.node}: ${why}\n`);
          }
          for (const line of rackErrors) process.stdout.write(`  ${line}\n`);
        }
        process.exitCode = converged ? 0 : 1;
      } finally {
        await runtime.close();
      }
    });
}
