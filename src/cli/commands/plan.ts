/** `pirack plan`: what the daemon would do, per Pi, without changing anything on the rack. */
import { Command } from 'commander';
import { describeAction } from '../../model/actions.ts';
import type { NodePassResult } from '../../reconcile/node-pass.ts';
import { openRuntime } from '../../daemon/runtime.ts';
import { createLogger } from '../../log.ts';
import { addRackOptions, readRack, type RackOptions } from '../common.ts';
import { progress, table } from '../output.ts';
import type { RackSpec } from '../../model/desired.ts';
import { selectNodes } from '../../model/selector.ts';

export function planCommand(): Command {
  return addRackOptions(new Command('plan'))
    .description('show what would change on each Pi (one read-only probe per Pi; nothing is changed)')
    .option('--json', 'print the plan as JSON')
    .option('--pi <ids>', 'only these Pis, comma-separated ids')
    .option('-l, --selector <labels>', 'only the Pis whose labels match, e.g. role=worker,zone!=top (rack.yaml labels:)')
    .action(async (opts: RackOptions & { json?: boolean; pi?: string; selector?: string }) => {
      const rack = await readRack(opts.rack, opts.allowSource);
      const ids = targetIds(rack, opts);
      const log = createLogger({ level: process.env.PIRACK_LOG_LEVEL ?? 'warn' });
      // The same loop as the daemon in its observe mode: it probes and plans, never applies.
      const runtime = await openRuntime(rack, { stateDir: opts.stateDir, log, mode: 'observe' });
      try {
        if (!opts.json) progress(`probing ${ids ? ids.length : rack.nodes.length} Pis of ${rack.name}…`);
        const results = await runtime.reconciler.runNodes(ids);
        process.stdout.write(opts.json ? `${JSON.stringify(planJson(rack, results), null, 2)}\n` : `${planTable(rack, results)}\n`);
      } finally {
        await runtime.close();
      }
    });
}

/** The Pis `--pi` and `-l` aim at (both: those in both); undefined means every Pi. */
export function targetIds(rack: RackSpec, opts: { pi?: string; selector?: string }): number[] | undefined {
  const byId = opts.pi !== undefined ? parseIds(opts.pi) : undefined;
  if (opts.selector === undefined) return byId;
  const selected = selectNodes(rack, opts.selector).map((n) => n.id);
  return byId ? selected.filter((id) => byId.includes(id)) : selected;
}

export function parseIds(list: string): number[] {
  return list.split(',').map((s) => {
    const id = Number(s.trim());
    if (!Number.isInteger(id)) throw new Error(`--pi expects comma-separated Pi ids, got "${s}"`);
    return id;
  });
}

export function planJson(rack: RackSpec, results: readonly NodePassResult[]) {
  return results.map((r) => {
    const node = rack.nodes.find((n) => n.id === r.node)!;
    return {
      pi: r.node,
      stack: node.stack,
      ip: node.ip,
      reachable: r.facts !== undefined,
      actions: r.planned.map((a) => ({ ...a, description: describeAction(a) })),
      ...(r.error ? { error: r.error.toJSON() } : {}),
    };
  });
}

export function planTable(rack: RackSpec, results: readonly NodePassResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    const node = rack.nodes.find((n) => n.id === r.node)!;
    const head = [String(r.node), String(node.stack), node.ip];
    if (r.error && !r.facts) rows.push([...head, `cannot probe: ${r.error.describe()}`]);
    else if (!r.facts) rows.push([...head, 'not probed: its stack is powered off']);
    else if (r.planned.length === 0) rows.push([...head, 'in sync']);
    else r.planned.forEach((a, i) => rows.push([...(i === 0 ? head : ['', '', '']), describeAction(a)]));
  }
  const changing = results.filter((r) => r.planned.length > 0).length;
  const actions = results.reduce((n, r) => n + r.planned.length, 0);
  const unreachable = results.filter((r) => !r.facts).length;
  const summary = `${changing} of ${results.length} Pis would change (${actions} actions)${unreachable ? `; ${unreachable} could not be probed` : ''}.`;
  return `${table(['pi', 'stack', 'ip', 'plan'], rows)}\n\n${summary}`;
}
