/**
 * The nesting depth of a JSON text, found in one pass without parsing it. Request bodies are small
 * objects a few levels deep; a body of 5,000 `[` is refused with a clear message before it reaches
 * the parser, the prototype scan or schema validation, none of which should have to cope with it.
 */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of `[` and `{` outside strings; stops counting once past `limit`. */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return deepest;
}
