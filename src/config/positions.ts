/**
 * Maps a path in the parsed document back to where it was written, so every problem can say
 * file:line:column even when ajv or a semantic rule only knows the path.
 *
 * The document is walked once into an index (JSON pointer → key and value ranges); placing a
 * problem is then a few map lookups. Walking the document per problem made 50,000 unknown keys
 * take 47 s.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { Problem, UnplacedProblem } from './problem.ts';
import { toPointer } from './problem.ts';

export interface Position {
  readonly line: number;
  readonly column: number;
}

type Range = readonly [number, number, number];

interface Entry {
  readonly key?: Position;
  readonly value?: Position;
}

function scalarKey(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Where every node was written, by JSON pointer: plain data, so a worker can hand it over. */
export interface PositionTable {
  readonly root?: Position;
  readonly entries: Map<string, { readonly key?: Position; readonly value?: Position }>;
}

/** Walks the document once (iteratively: no recursion) into a PositionTable. */
export function positionTable(doc: Document, lc: LineCounter): PositionTable {
  const at = (range: Range | null | undefined): Position | undefined => {
    if (!range) return undefined;
    const pos = lc.linePos(range[0]);
    return { line: pos.line, column: pos.col };
  };
  const entries = new Map<string, Entry>();
  const stack: { node: Node | null | undefined; pointer: string }[] = [{ node: doc.contents, pointer: '' }];
  while (stack.length > 0) {
    const { node, pointer } = stack.pop()!;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const name = scalarKey(pair.key);
        if (name === undefined) continue;
        const keyNode = pair.key as Node | null;
        const valueNode = pair.value as Node | null;
        const child = `${pointer}/${escape(name)}`;
        const key = at(keyNode?.range);
        const value = at(valueNode?.range);
        // The first of duplicate keys wins, as the old per-problem walk found it first.
        if (!entries.has(child)) entries.set(child, { ...(key ? { key } : {}), ...(value ? { value } : {}) });
        stack.push({ node: valueNode, pointer: child });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const child = `${pointer}/${i}`;
        const value = at((item as Node | null)?.range);
        entries.set(child, value ? { value } : {});
        stack.push({ node: item as Node | null, pointer: child });
      });
    }
  }
  const root = at(doc.contents?.range);
  return { ...(root ? { root } : {}), entries };
}

/** Places problems through a PositionTable: a few map lookups each. */
export class PositionIndex {
  constructor(private readonly table: PositionTable) {}

  /**
   * The node at `segments`; when a segment is missing (a required key), the deepest node that
   * exists, which is where the user has to add it.
   */
  locate(segments: readonly (string | number)[], atKey = false): Position {
    let best = this.table.root;
    let pointer = '';
    for (let i = 0; i < segments.length; i++) {
      pointer += `/${escape(String(segments[i]))}`;
      const entry = this.table.entries.get(pointer);
      if (!entry) break;
      const last = i === segments.length - 1;
      if ((last && atKey) || !entry.value) {
        if (entry.key) best = entry.key;
        if (!entry.value) break;
      }
      if (!(last && atKey)) best = entry.value;
    }
    return best ?? { line: 1, column: 1 };
  }

  place(p: UnplacedProblem): Problem {
    const { line, column } = this.locate(p.segments, p.atKey ?? false);
    return { path: toPointer(p.segments), line, column, message: p.message, hint: p.hint };
  }
}

/** Sorts problems as a person reads the file: top to bottom. */
export function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.column - b.column;
}
