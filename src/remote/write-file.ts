/**
 * Atomic file replace on a Pi. The content travels on stdin into a temporary file in the target's
 * own directory, is checked against its sha256, given owner and mode, flushed, and only then
 * renamed over the target. What a failure leaves behind: the old file untouched. A dropped
 * connection, a full disk or a power cut mid-transfer leaves at most a `.pirack.*` temporary file,
 * which the trap removes whenever the shell still runs.
 */
import { shellQuote } from '../ssh/quote.ts';

export interface RemoteFile {
  readonly path: string;
  readonly sha256: string;
  readonly owner: string;
  readonly group: string;
  /** Octal string, e.g. "0644". */
  readonly mode: string;
  /** Mode for a parent directory the write has to create. */
  readonly dirMode?: string;
}

/**
 * Shell words computed on the Pi, for targets only the Pi knows (a user's home directory). These
 * are expansions of variables the caller's script set ("$h/.ssh/authorized_keys"), never values
 * from rack.yaml pasted into quotes: values go through shellQuote.
 */
export interface ShellExpressions {
  readonly path?: string;
  readonly owner?: string;
}

export function atomicWriteScript(file: RemoteFile, expressions: ShellExpressions = {}): string {
  const path = expressions.path ?? shellQuote(file.path);
  const owner = expressions.owner ?? shellQuote(`${file.owner}:${file.group}`);
  const mode = shellQuote(file.mode);
  const sha = shellQuote(file.sha256);
  const mkdir = file.dirMode ? `mkdir -p -m ${shellQuote(file.dirMode)} "$d" && chown ${owner} "$d"` : 'mkdir -p "$d"';
  return [
    'set -e',
    `p=${path}`,
    'd=$(dirname "$p")',
    `[ -d "$d" ] || { ${mkdir}; }`,
    't=$(mktemp "$d/.pirack.XXXXXX")',
    'trap \'rm -f "$t"\' EXIT HUP INT TERM',
    'cat > "$t"',
    // The message names the target through "$p": the path is never pasted into the script twice.
    `[ "$(sha256sum < "$t" | cut -d' ' -f1)" = ${sha} ] || { printf 'pirack: content checksum mismatch, %s left unchanged\\n' "$p" >&2; exit 3; }`,
    `chown ${owner} "$t"`,
    `chmod ${mode} "$t"`,
    'sync "$t" 2>/dev/null || sync',
    'mv -f "$t" "$p"',
    'trap - EXIT HUP INT TERM',
    'sync "$d" 2>/dev/null || true',
  ].join('\n');
}
