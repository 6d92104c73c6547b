/** A problem in an imported file (structure_rack.ini, dict_rasps.csv, configuration.ini). */
export interface ImportProblem {
  /** The input file as the user named it. */
  readonly file: string;
  /** 1-based line, when the problem has one. */
  readonly line?: number;
  readonly message: string;
  readonly hint: string;
}

export function formatImportProblem(p: ImportProblem, prefix = ''): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${prefix}${p.message}\n    ${p.hint}`;
}

/**
 * `ini` returns values without positions; messages still point at the line a person must edit,
 * found by scanning for the section header or the key inside its section.
 */
export function iniLine(text: string, section: string, key?: string): number | undefined {
  const lines = text.split(/\r?\n/);
  let current: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!.trim();
      if (key === undefined && current === section) return i + 1;
      continue;
    }
    if (key !== undefined && current === section && new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`, 'i').test(line))
      return i + 1;
  }
  return undefined;
}
