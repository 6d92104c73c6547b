/**
 * A memo for a pure function of one string, bounded so that a flood of distinct inputs (a hostile
 * authorized_keys, say) costs memory up to the limit and then only empties the memo. For the
 * planners' per-line rules, which see the same few strings on every Pi on every pass.
 */
export function boundedMemo<R>(fn: (input: string) => R, limit = 4096): (input: string) => R {
  const memo = new Map<string, R>();
  return (input) => {
    if (memo.has(input)) return memo.get(input) as R;
    const result = fn(input);
    if (memo.size >= limit) memo.clear();
    memo.set(input, result);
    return result;
  };
}
