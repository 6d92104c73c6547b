/**
 * Duplicate keys in one mapping, found in one pass. yaml's own `uniqueKeys` check compares each
 * key with every earlier one of its mapping, which is quadratic: 20,000 keys took a minute.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/** The offset of every key that repeats an earlier key of the same mapping, with its name. */
export function duplicateKeys(doc: Document): { key: string; offset: number }[] {
  const out: { key: string; offset: number }[] = [];
  const stack: (Node | null | undefined)[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key as Node | null;
        if (isScalar(key)) {
          const name = `${typeof key.value}:${String(key.value)}`;
          if (seen.has(name)) out.push({ key: String(key.value), offset: key.range?.[0] ?? 0 });
          seen.add(name);
        }
        stack.push(pair.value as Node | null);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item as Node | null);
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}
