/**
 * Which Pis an operation acts on. The one place a selector becomes Pis, for the CLI (`--pi`,
 * `--stack`, `--rack`), the API and the dashboard alike, so a label selector can join later here.
 * Refuses, before anything runs, ids that rack.yaml does not declare: no partial effect.
 */
import { pirackError } from '../errors.ts';
import type { NodeSpec, RackSpec } from '../model/desired.ts';

export type Selector =
  | { readonly scope: 'pi'; readonly ids: readonly number[] }
  | { readonly scope: 'stack'; readonly ids: readonly number[] }
  | { readonly scope: 'rack' };

/** `pi 1,2`, `stack 1`, `rack`: for messages and events. */
export function describeSelector(selector: Selector): string {
  return selector.scope === 'rack' ? 'rack' : `${selector.scope} ${selector.ids.join(',')}`;
}

/** The selected Pis in id order; throws PIRACK_ERR_USAGE naming every unknown id. */
export function selectNodes(rack: RackSpec, selector: Selector): NodeSpec[] {
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

/** Parses `1,2,5-7` (the CLI's and the API's id lists). */
export function parseIds(text: string, what: string): number[] {
  const ids: number[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from || to - from > 10_000) throw pirackError('PIRACK_ERR_USAGE', `${what}: "${part}" is not a range from low to high`);
      for (let id = from; id <= to; id++) ids.push(id);
    } else if (/^\d+$/.test(part) && Number(part) >= 1) ids.push(Number(part));
    else throw pirackError('PIRACK_ERR_USAGE', `${what}: "${part}" is not an id (expected ids like 1,2,5-7)`);
  }
  return [...new Set(ids)];
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
