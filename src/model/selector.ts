/**
 * Label selectors, Kubernetes' equality-based style: `role=worker,zone!=top,gpu,!spare`. The one
 * place a selector is parsed and matched: `plan -l`, `run`, the API's `?selector=` and the
 * dashboard's filter (its own copy of `matches` in the browser, tested against this one) all use
 * it. A Pi's labels are its stack's with its own over them (resolve.ts merges them).
 * A key no Pi or stack declares is an error, not an empty match: a typo must not quietly aim an
 * action at nothing (or, with `!=`, at everything).
 */
import { pirackError } from '../errors.ts';
import type { Labels, NodeSpec, RackSpec } from './desired.ts';

export type Requirement =
  | { readonly op: '='; readonly key: string; readonly value: string }
  | { readonly op: '!='; readonly key: string; readonly value: string }
  | { readonly op: 'exists'; readonly key: string }
  | { readonly op: '!exists'; readonly key: string };

export type Selector = readonly Requirement[];

const KEY = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
const MAX_SELECTOR = 1024;

function bad(text: string, why: string): never {
  throw pirackError('PIRACK_ERR_SELECTOR', `selector "${text.slice(0, 100)}": ${why}`);
}

/** Parses `key=value,key!=value,key,!key` (spaces around terms allowed; `==` reads as `=`). */
export function parseSelector(text: string): Selector {
  if (text.length > MAX_SELECTOR) bad(text, `longer than ${MAX_SELECTOR} characters`);
  const terms = text.split(',').map((t) => t.trim());
  if (terms.length === 0 || terms.every((t) => t === '')) bad(text, 'it is empty');
  return terms.map((term): Requirement => {
    if (term === '') bad(text, 'an empty term between commas');
    const m = /^(!?)([^=!]+?)\s*(?:(!=|==|=)\s*(.*))?$/.exec(term);
    if (!m) bad(text, `"${term}" is not key=value, key!=value, key or !key`);
    const [, not, key = '', op, value] = m;
    if (!KEY.test(key)) bad(text, `"${key}" is not a label key (lowercase letters, digits, . _ / -)`);
    if (op === undefined) return { op: not ? '!exists' : 'exists', key };
    if (not) bad(text, `"${term}": ! goes only before a bare key (!key)`);
    if (!VALUE.test(value ?? '')) bad(text, `"${value ?? ''}" is not a label value (letters, digits, . _ -)`);
    return op === '!=' ? { op: '!=', key, value: value ?? '' } : { op: '=', key, value: value ?? '' };
  });
}

export function matches(selector: Selector, labels: Labels | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    if (r.op === 'exists') return has;
    if (r.op === '!exists') return !has;
    if (r.op === '=') return has && l[r.key] === r.value;
    return !has || l[r.key] !== r.value;
  });
}

/** Every label key the rack declares on a stack or a Pi. */
export function declaredLabelKeys(rack: Pick<RackSpec, 'stacks' | 'nodes'>): Set<string> {
  const keys = new Set<string>();
  for (const s of rack.stacks) for (const k of Object.keys(s.labels ?? {})) keys.add(k);
  for (const n of rack.nodes) for (const k of Object.keys(n.labels ?? {})) keys.add(k);
  return keys;
}

/** Throws PIRACK_ERR_SELECTOR naming the keys the rack does not declare. */
export function checkSelectorKeys(selector: Selector, rack: Pick<RackSpec, 'stacks' | 'nodes' | 'sourcePath'>, text: string): void {
  const known = declaredLabelKeys(rack);
  const unknown = [...new Set(selector.map((r) => r.key).filter((k) => !known.has(k)))];
  if (unknown.length === 0) return;
  const list = known.size === 0 ? 'it declares no labels' : `it declares ${[...known].sort().join(', ')}`;
  bad(text, `no Pi or stack in ${rack.sourcePath} has the label ${unknown.map((k) => `"${k}"`).join(', ')} (${list})`);
}

/**
 * The one function callers use: the Pis a selector text picks, in rack order. Throws
 * PIRACK_ERR_SELECTOR for a malformed selector or an undeclared key.
 */
export function selectNodes(rack: Pick<RackSpec, 'stacks' | 'nodes' | 'sourcePath'>, text: string): NodeSpec[] {
  const selector = parseSelector(text);
  checkSelectorKeys(selector, rack, text);
  return rack.nodes.filter((n) => matches(selector, n.labels));
}

/**
 * The same over anything labelled (the status report's Pis, for the API): the keys known are
 * those the items carry, which for Pis includes their stacks' (resolve.ts merges them).
 */
export function selectLabelled<T extends { readonly labels?: Labels }>(items: readonly T[], text: string, where = 'the rack'): T[] {
  const selector = parseSelector(text);
  const known = new Set(items.flatMap((i) => Object.keys(i.labels ?? {})));
  const unknown = [...new Set(selector.map((r) => r.key).filter((k) => !known.has(k)))];
  if (unknown.length > 0) {
    const list = known.size === 0 ? 'it declares no labels' : `it declares ${[...known].sort().join(', ')}`;
    bad(text, `no Pi in ${where} has the label ${unknown.map((k) => `"${k}"`).join(', ')} (${list})`);
  }
  return items.filter((i) => matches(selector, i.labels));
}
