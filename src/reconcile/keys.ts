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

export function parseKey(key: WorkKey): ParsedKey {
  if (key === 'rack') return { scope: 'rack' };
  const [kind, id] = key.split(':') as [string, string];
  return kind === 'pi' ? { scope: 'node', id: Number(id) } : { scope: 'stack', id: Number(id) };
}
