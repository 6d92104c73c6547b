/**
 * What `pirack plan` prints and the exit code it ends with, from the passes the loop ran in its
 * observe mode. Pure: the command gathers the passes and the diffs, this only renders them.
 */
import { describeAction, type Action } from '../model/actions.ts';
import type { RackSpec } from '../model/desired.ts';
import type { FileDiff } from '../model/file-diff.ts';
import type { NodePassResult } from '../reconcile/node-pass.ts';
import type { PassReport } from '../reconcile/reconciler.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { table } from './output.ts';

/** A stack's or the rack's pass, as plan shows it. */
export type ScopePass = Extract<PassReport, { scope: 'stack' | 'rack' }>;

export interface PlanInput {
  readonly rack: RackSpec;
  readonly nodes: readonly NodePassResult[];
  readonly scopes: readonly ScopePass[];
  /** Per Pi, per path: the diff of a `file-write` it plans. */
  readonly diffs: ReadonlyMap<number, ReadonlyMap<string, FileDiff>>;
}

/** A Pi that could not be probed for a reason other than its stack being powered off by design. */
export function unreachable(r: NodePassResult): boolean {
  return r.facts === undefined && r.error !== undefined;
}

/**
 * The `--exit-code` verdict: an error (a relay or DHCP that could not be read) wins, then Pis
 * that could not be looked at (the plan is incomplete, so "in sync" cannot be vouched for), then
 * anything to change.
 */
export function planExitCode(input: Pick<PlanInput, 'nodes' | 'scopes'>): ExitCode {
  if (input.scopes.some((s) => s.error)) return EXIT.ERROR;
  if (input.nodes.some(unreachable)) return EXIT.UNREACHABLE;
  if (input.nodes.some((r) => r.planned.length > 0) || input.scopes.some((s) => s.planned.length > 0)) return EXIT.DIFFERS;
  return EXIT.OK;
}

function scopeTarget(s: ScopePass): string {
  return s.key === 'rack' ? 'rack' : s.key.replace(':', ' ');
}

function diffJson(d: FileDiff | undefined) {
  if (!d) return {};
  return d.kind === 'diff' ? { diff: d.patch } : { diffWithheld: d.why };
}

export function planJson(input: PlanInput) {
  const { rack } = input;
  const pis = input.nodes.map((r) => {
    const node = rack.nodes.find((n) => n.id === r.node)!;
    const diffs = input.diffs.get(r.node);
    return {
      target: `pi ${r.node}`,
      pi: r.node,
      stack: node.stack,
      ip: node.ip,
      reachable: r.facts !== undefined,
      actions: r.planned.map((a) => ({
        ...a,
        description: describeAction(a),
        ...(a.kind === 'file-write' ? diffJson(diffs?.get(a.path)) : {}),
      })),
      ...(r.error ? { error: r.error.toJSON() } : {}),
    };
  });
  const scopes = input.scopes.map((s) => ({
    target: scopeTarget(s),
    ...(s.scope === 'stack' ? { stack: Number(s.key.slice('stack:'.length)) } : {}),
    actions: s.planned.map((a: Action) => ({ ...a, description: describeAction(a) })),
    ...(s.error ? { error: s.error.toJSON() } : {}),
  }));
  return [...pis, ...scopes];
}

export function planTable(input: PlanInput): string {
  const { rack } = input;
  const rows: string[][] = [];
  for (const s of input.scopes) {
    const head = [scopeTarget(s), '', ''];
    if (s.error) rows.push([...head, `cannot read: ${s.error.describe()}`]);
    else s.planned.forEach((a, i) => rows.push([...(i === 0 ? head : ['', '', '']), describeAction(a)]));
  }
  for (const r of input.nodes) {
    const node = rack.nodes.find((n) => n.id === r.node)!;
    const head = [`pi ${r.node}`, String(node.stack), node.ip];
    if (r.error && !r.facts) rows.push([...head, `cannot probe: ${r.error.describe()}`]);
    else if (!r.facts) rows.push([...head, 'not probed: its stack is powered off']);
    else if (r.planned.length === 0) rows.push([...head, 'in sync']);
    else r.planned.forEach((a, i) => rows.push([...(i === 0 ? head : ['', '', '']), describeAction(a)]));
  }
  const patches: string[] = [];
  for (const r of input.nodes) {
    for (const d of input.diffs.get(r.node)?.values() ?? []) {
      patches.push(d.kind === 'diff' ? `# pi ${r.node}\n${d.patch}` : `# pi ${r.node}: ${d.path}: ${d.why}`);
    }
  }
  const changing = input.nodes.filter((r) => r.planned.length > 0).length;
  const actions = input.nodes.reduce((n, r) => n + r.planned.length, 0) + input.scopes.reduce((n, s) => n + s.planned.length, 0);
  const lost = input.nodes.filter(unreachable).length;
  const scopesChanging = input.scopes.filter((s) => s.planned.length > 0).map(scopeTarget);
  const summary =
    `${changing} of ${input.nodes.length} Pis would change` +
    (scopesChanging.length > 0 ? `, and ${scopesChanging.join(', ')}` : '') +
    ` (${actions} actions)${lost ? `; ${lost} could not be probed` : ''}.`;
  return [table(['target', 'stack', 'ip', 'plan'], rows), ...(patches.length > 0 ? [patches.join('\n\n')] : []), summary].join('\n\n');
}
