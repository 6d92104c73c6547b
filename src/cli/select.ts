/**
 * Which Pis a command is about: `--pi IDS`, `--stack IDS`, or the whole rack. Every command that
 * takes a selector goes through `selectNodes`: ids, stacks and labels (`-l`, src/model/selector.ts). An id rack.yaml does not know is a usage error before anything is touched.
 */
import { pirackError } from '../errors.ts';
import type { NodeSpec, RackSpec } from '../model/desired.ts';
import { selectNodes as nodesWithLabels } from '../model/selector.ts';

export interface SelectorOptions {
  /** Comma-separated Pi ids. */
  readonly pi?: string;
  /** Comma-separated stack ids. */
  readonly stack?: string;
  /** A label selector, `role=worker,zone!=top` (src/model/selector.ts). */
  readonly selector?: string;
}

export interface Selection {
  /** The selected Pis, in id order. */
  readonly nodes: readonly NodeSpec[];
  /** The stacks named by `--stack`, or every stack of the selected Pis. */
  readonly stacks: readonly number[];
  /** Nothing narrowed the selection: the whole rack. */
  readonly whole: boolean;
}

/** Parses `1,2,5-7` (whitespace allowed): every id option of the CLI. Throws a usage error naming the option. */
export function parseIdList(list: string, option: string): number[] {
  const ids: number[] = [];
  for (const part of list.split(',').map((s) => s.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    const [from, to] = range ? [Number(range[1]), Number(range[2])] : [Number(part), Number(part)];
    const wellFormed = range !== null || /^\d+$/.test(part);
    if (!wellFormed || from < 1 || to < from || to - from > 10_000)
      throw pirackError('PIRACK_ERR_USAGE', `${option} expects comma-separated ids such as 1,2,5-7, got "${part}" in "${list}"`);
    for (let id = from; id <= to; id++) ids.push(id);
  }
  return [...new Set(ids)];
}

function unknownIds(kind: 'pi' | 'stack', ids: readonly number[], known: readonly number[], rack: RackSpec, option: string): never {
  const range = known.length > 12 ? `${Math.min(...known)}…${Math.max(...known)}` : known.join(', ');
  throw pirackError(
    'PIRACK_ERR_USAGE',
    `${option}: ${ids.length === 1 ? `no ${kind} ${ids[0]}` : `no ${kind}s ${ids.join(', ')}`} in ${rack.sourcePath} (its ${kind}s: ${range || 'none'}); nothing was done`,
  );
}

export function selectNodes(rack: RackSpec, options: SelectorOptions): Selection {
  let nodes: readonly NodeSpec[] = rack.nodes;
  let stacks: number[] | undefined;
  if (options.stack !== undefined) {
    const ids = parseIdList(options.stack, '--stack');
    const known = rack.stacks.map((s) => s.id);
    const missing = ids.filter((id) => !known.includes(id));
    if (missing.length > 0) unknownIds('stack', missing, known, rack, '--stack');
    stacks = ids;
    nodes = nodes.filter((n) => ids.includes(n.stack));
  }
  if (options.pi !== undefined) {
    const ids = parseIdList(options.pi, '--pi');
    const known = rack.nodes.map((n) => n.id);
    const missing = ids.filter((id) => !known.includes(id));
    if (missing.length > 0) unknownIds('pi', missing, known, rack, '--pi');
    const outside = ids.filter((id) => !nodes.some((n) => n.id === id));
    if (outside.length > 0)
      throw pirackError('PIRACK_ERR_USAGE', `--pi ${outside.join(', ')}: not in --stack ${options.stack}; nothing was done`);
    nodes = nodes.filter((n) => ids.includes(n.id));
  }
  if (options.selector !== undefined) {
    const labelled = new Set(nodesWithLabels(rack, options.selector).map((n) => n.id));
    nodes = nodes.filter((n) => labelled.has(n.id));
  }
  const sorted = [...nodes].sort((a, b) => a.id - b.id);
  return {
    nodes: sorted,
    stacks: stacks ?? [...new Set(sorted.map((n) => n.stack))].sort((a, b) => a - b),
    whole: options.pi === undefined && options.stack === undefined && options.selector === undefined,
  };
}
