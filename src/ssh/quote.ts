/**
 * POSIX shell quoting for commands sent over SSH. The remote side runs every exec through the
 * login shell, so anything that came from rack.yaml (paths, package names, file contents) must be
 * quoted or it becomes shell syntax on the Pi. This is the one place a value becomes shell text;
 * scripts refer to quoted values through shell variables, never by pasting them into other quotes.
 */

/** Arguments made only of these characters need no quotes; keeps plans and logs readable. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one argument so any POSIX shell reads it back verbatim: single quotes, with each `'`
 * written as `'\''` (close, escaped quote, reopen). Single quotes make every other character,
 * newlines and `$(...)` included, literal.
 *
 * A NUL cannot be part of a shell word (C strings end there; shells drop or truncate it), so a
 * value holding one is refused rather than silently cut short. rack.yaml's schema refuses NUL in
 * every field that reaches a shell, so reaching this throw is a programmer error.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new TypeError(`shellQuote: a NUL byte cannot be passed to a shell (${JSON.stringify(arg.slice(0, 40))})`);
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins argv into one command line the remote shell splits back into exactly these words. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** `name=<quoted value>`: binds a value to a shell variable, which scripts then use as "$name". */
export function shellAssign(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`shellAssign: ${JSON.stringify(name)} is not a shell variable name`);
  return `${name}=${shellQuote(value)}`;
}
