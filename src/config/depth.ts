/**
 * Nesting limits, checked before the YAML is composed into a document. yaml's composer and every
 * walk after it (toJS, ajv, freezing) recurse once per level: a 5 MB line of `[` exhausted the
 * heap after 49 s, and a few thousand levels end in "Maximum call stack size exceeded". rack.yaml
 * needs about 8 levels; the limit leaves plenty of room and fails fast with a position.
 *
 * Flow nesting (`[`, `{`) is counted on yaml's own lexer tokens, so brackets inside quoted strings
 * and block scalars do not count; the scan stops at the first token past the limit. Block nesting
 * (indentation) is checked on the composed value, whose depth is bounded by the file size.
 */
import { Lexer } from 'yaml';

export const MAX_DEPTH = 64;

/** The lexer's own markers (document, flow end, scalar): not characters of the text. */
const CONTROL = new Set(['\x02', '\x18', '\x1f']);

/** Offset of the first flow bracket nested deeper than `max`, or undefined. */
export function flowTooDeep(text: string, max = MAX_DEPTH): number | undefined {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > max) return offset;
    } else if (token === ']' || token === '}') {
      depth = Math.max(0, depth - 1);
    }
    if (!CONTROL.has(token)) offset += token.length;
  }
  return undefined;
}

/** Path to the first value nested deeper than `max` levels, or undefined. Iterative: no recursion. */
export function valueTooDeep(value: unknown, max = MAX_DEPTH): (string | number)[] | undefined {
  const stack: { node: unknown; path: (string | number)[] }[] = [{ node: value, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (path.length >= max) return path;
    if (Array.isArray(node)) node.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    else for (const key of Object.keys(node)) stack.push({ node: (node as Record<string, unknown>)[key], path: [...path, key] });
  }
  return undefined;
}
