/**
 * The keys of the one work queue: a Pi (`pi:3`), a stack (`stack:1`) or the rack (`rack`). Each
 * key has exactly one worker at a time, its own backoff and its own pass timeout.
 */
export type WorkKey = `pi:${number}` | `stack:${number}` | 'rack';

export type ParsedKey =
  { readonly scope: 'node'; readonly id: number } | { readonly scope: 'stack'; readonly id: number } | { readonly scope: 'rack' };

export const piKey = (id: number): WorkKey => `pi:${id}`;
export const stackKey = (id: number): WorkKey => `stack:${id}`;
export const RACK_KEY: WorkKey = 'rack';

const RACK: ParsedKey = Object.freeze({ scope: 'rack' });

export function parseKey(key: WorkKey): ParsedKey {
  if (key === 'rack') return RACK;
  // Sliced rather than split: the loop parses every key of every pass (5,000 Pis in the bench).
  return key.startsWith('pi:') ? { scope: 'node', id: Number(key.slice(3)) } : { scope: 'stack', id: Number(key.slice(6)) };
}
