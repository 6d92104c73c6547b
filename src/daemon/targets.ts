/**
 * Which Pis an operation acts on. The one place a selector becomes Pis, for the CLI (`--pi`,
 * `--all`, `-l`), the API and the dashboard alike: a scope (Pis, stacks, the rack) narrowed by a label
 * selector.
 * Refuses, before anything runs, ids that rack.yaml does not declare: no partial effect.
 */
import { pirackError } from '../errors.ts';
import type { NodeSpec, RackSpec } from '../model/desired.ts';
import { selectNodes as nodesWithLabels } from '../model/selector.ts';

export type Selector = (
  | { readonly scope: 'pi'; readonly ids: readonly number[] }
  | { readonly scope: 'stack'; readonly ids: readonly number[] }
  | { readonly scope: 'rack' }
) & {
  /** A label selector (`role=worker,zone!=top`, src/model/selector.ts) narrowing the scope's Pis. */
  readonly labels?: string;
};

/** `pi 1,2`, `stack 1`, `rack`, `rack -l role=worker`: for messages and events. */
export function describeSelector(selector: Selector): string {
  const scope = selector.scope === 'rack' ? 'rack' : `${selector.scope} ${selector.ids.join(',')}`;
  return selector.labels !== undefined ? `${scope} -l ${selector.labels}` : scope;
}

/** The selected Pis in id order; throws PIRACK_ERR_USAGE naming every unknown id. */
export function selectNodes(rack: RackSpec, selector: Selector): NodeSpec[] {
  const scoped = nodesOfScope(rack, selector);
  if (selector.labels === undefined) return scoped;
  // An unknown label key is PIRACK_ERR_SELECTOR here, before anything runs (a typo aims at nothing).
  const labelled = new Set(nodesWithLabels(rack, selector.labels).map((n) => n.id));
  const nodes = scoped.filter((n) => labelled.has(n.id));
  if (nodes.length === 0) throw pirackError('PIRACK_ERR_USAGE', `${describeSelector(selector)} matches no Pi in ${rack.sourcePath}`);
  return nodes;
}

function nodesOfScope(rack: RackSpec, selector: Selector): NodeSpec[] {
  if (selector.scope === 'rack') return [...rack.nodes].sort((a, b) => a.id - b.id);
  if (selector.ids.length === 0) throw pirackError('PIRACK_ERR_USAGE', `no ${selector.scope} id given`);
  const known = selector.scope === 'pi' ? rack.nodes.map((n) => n.id) : rack.stacks.map((s) => s.id);
  const unknown = selector.ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    throw pirackError(
      'PIRACK_ERR_USAGE',
      `no ${selector.scope} ${unknown.join(', ')} in ${rack.sourcePath} (${selector.scope === 'pi' ? 'Pis' : 'stacks'}: ${compactIds(known)})`,
      { where: rack.sourcePath },
    );
  }
  const wanted = new Set(selector.ids);
  const nodes = rack.nodes.filter((n) => wanted.has(selector.scope === 'pi' ? n.id : n.stack));
  if (nodes.length === 0) throw pirackError('PIRACK_ERR_USAGE', `${describeSelector(selector)} has no Pis in ${rack.sourcePath}`);
  return nodes.sort((a, b) => a.id - b.id);
}

function compactIds(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return out.join(', ');
}
