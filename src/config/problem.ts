/**
 * A problem found in rack.yaml (or an imported file), located for a person: a JSON pointer for
 * programs, line and column (1-based) for people, and what to do about it.
 */
export interface Problem {
  /** JSON pointer into the document, e.g. `/stacks/1/pis/0/ip`; empty for the whole file. */
  readonly path: string;
  /** 1-based; 0 when the problem has no position (a file that cannot be read). */
  readonly line: number;
  readonly column: number;
  /** What is wrong, naming the value, e.g. `stacks[1].pis[0].ip "192.168.23.300" is not an IPv4 address`. */
  readonly message: string;
  /** What to do about it. */
  readonly hint: string;
}

/** A problem before it is given a position: the path as segments, resolved against the YAML nodes. */
export interface UnplacedProblem {
  readonly segments: readonly (string | number)[];
  readonly message: string;
  readonly hint: string;
  /** Point at the key of the last segment rather than its value (unknown keys). */
  readonly atKey?: boolean;
}

export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `stacks[1].pis[0].ip`: how people read a path in messages. */
export function humanPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out === '' ? 'the document' : out;
}

/** `file:line:col: message` then the hint indented, as compilers print. */
export function formatProblem(file: string, p: Problem): string {
  const where = p.line > 0 ? `${file}:${p.line}:${p.column}` : file;
  return `${where}: ${p.message}\n    ${p.hint}`;
}
