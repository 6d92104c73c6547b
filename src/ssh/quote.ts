/**
 * POSIX shell quoting for commands sent over SSH. The remote side runs every exec through the
 * login shell, so anything that came from rack.yaml (paths, package names, file contents) must be
 * quoted or it becomes shell syntax on the Pi.
 */

/** Arguments made only of these characters need no quotes; keeps plans and logs readable. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one argument so any POSIX shell reads it back verbatim: single quotes, with each `'`
 * written as `'\''` (close, escaped quote, reopen). Single quotes make every other character,
 * newlines and `$(...)` included, literal.
 */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins argv into one command line the remote shell splits back into exactly these words. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
