/**
 * Maps a path in the parsed document back to where it was written, so every problem can say
 * file:line:column even when ajv or a semantic rule only knows the path.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { Problem, UnplacedProblem } from './problem.ts';
import { toPointer } from './problem.ts';

interface Position {
  readonly line: number;
  readonly column: number;
}

function scalarKey(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;
}

/**
 * Walks the YAML nodes along `segments`; when a segment is missing (a required key), the deepest
 * node that exists is used, which is where the user has to add it.
 */
export function locate(doc: Document, lc: LineCounter, segments: readonly (string | number)[], atKey = false): Position {
  let node: Node | null | undefined = doc.contents;
  let best: [number, number, number] | undefined = node?.range ?? undefined;
  for (let i = 0; i < segments.length && node; i++) {
    const seg = String(segments[i]);
    const last = i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && scalarKey(p.key) === seg);
      if (!pair) break;
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      if ((last && atKey) || !valueNode?.range) {
        if (keyNode?.range) best = keyNode.range;
        if (!valueNode?.range) break;
      }
      if (!(last && atKey)) best = valueNode.range ?? best;
      node = valueNode;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item?.range) break;
      best = item.range;
      node = item;
    } else {
      break;
    }
  }
  if (!best) return { line: 1, column: 1 };
  const pos = lc.linePos(best[0]);
  return { line: pos.line, column: pos.col };
}

export function place(doc: Document, lc: LineCounter, p: UnplacedProblem): Problem {
  const { line, column } = locate(doc, lc, p.segments, p.atKey ?? false);
  return { path: toPointer(p.segments), line, column, message: p.message, hint: p.hint };
}

/** Sorts problems as a person reads the file: top to bottom. */
export function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.column - b.column;
}
