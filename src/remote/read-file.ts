/**
 * Reads a managed file's current content from a Pi, read-only, for `pirack plan`'s diffs. At most
 * `maxBytes + 1` bytes come back, so a huge file is seen to be too big without being copied.
 */
import { shellQuote } from '../ssh/quote.ts';
import type { SshRunner, SshTarget } from '../ssh/types.ts';

/** Exit status of the fragment when the file is not there (not a failure: the diff is from nothing). */
const MISSING = 3;

export type RemoteRead =
  | { readonly kind: 'content'; readonly text: string }
  | { readonly kind: 'missing' }
  | { readonly kind: 'failed'; readonly message: string };

export function readFileScript(path: string, maxBytes: number): string {
  const p = shellQuote(path);
  return `if [ -f ${p} ]; then head -c ${maxBytes + 1} -- ${p}; else exit ${MISSING}; fi`;
}

export async function readRemoteFile(
  ssh: Pick<SshRunner, 'exec'>,
  target: SshTarget,
  path: string,
  options: { maxBytes: number; signal?: AbortSignal },
): Promise<RemoteRead> {
  try {
    const result = await ssh.exec(target, readFileScript(path, options.maxBytes), options.signal ? { signal: options.signal } : {});
    if (result.exitCode === MISSING) return { kind: 'missing' };
    if (result.exitCode !== 0) return { kind: 'failed', message: `exit ${result.exitCode}: ${result.stderr.trim().slice(0, 200)}` };
    return { kind: 'content', text: result.stdout };
  } catch (err) {
    return { kind: 'failed', message: (err as Error).message };
  }
}
