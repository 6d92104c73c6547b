/**
 * The edge of the program (STYLE.md §6): rack.yaml text in, a frozen RackSpec or every problem
 * with file:line:column out. `parseRack` is pure apart from the injected readers; `loadRack` adds
 * the file system.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { RackSpec } from '../model/desired.ts';
import { pirackError } from '../errors.ts';
import type { Problem, UnplacedProblem } from './problem.ts';
import { formatProblem } from './problem.ts';
import { byPosition, place } from './positions.ts';
import { checkSchema } from './schema.ts';
import { checkSemantics } from './semantic.ts';
import { resolveRack } from './resolve.ts';
import { deepFreeze } from './freeze.ts';
import { contentRevision } from './revision.ts';
import type { RawRack } from './raw.ts';

/** How to read what rack.yaml refers to. Defaults read the real file system. */
export interface ParseRackOptions {
  /** Shown in messages and kept in RackSpec.sourcePath. */
  readonly sourcePath: string;
  /** Folder relative paths are read from (rack.yaml's folder). */
  readonly baseDir: string;
  /** Content of `source: builtin:<name>`; when absent, builtin sources are a problem. */
  readonly resolveBuiltin?: (name: string) => string | undefined;
  /** Reads a `source:` file by absolute path (default: fs.readFileSync utf8). */
  readonly readFile?: (absPath: string) => string;
  /** Reads the daemon's `<keyFile>.pub`; returns undefined when it does not exist. */
  readonly readPublicKey?: (absPath: string) => string | undefined;
  /** Default true. False turns a missing daemon key into a warning (`pirack validate` off the master). */
  readonly requireKey?: boolean;
  /** Overrides the content revision, e.g. with the git commit the text came from. */
  readonly revision?: string;
}

/** Either the frozen rack or every problem found; warnings never block loading. */
export type RackLoadResult =
  | { readonly ok: true; readonly rack: RackSpec; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly warnings: readonly Problem[] };

function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The default public key reader: a missing file is "no key", other errors propagate. */
export function readPublicKeyFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function parseRack(text: string, options: ParseRackOptions): RackLoadResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true });
  const syntax: Problem[] = doc.errors.map((e) => {
    const pos = lc.linePos(e.pos[0]);
    return { path: '', line: pos.line, column: pos.col, message: e.message.split('\n')[0] ?? e.message, hint: hintForYamlError(e.code) };
  });
  if (syntax.length > 0) return { ok: false, problems: syntax, warnings: [] };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { ok: false, problems: [{ path: '', line: 1, column: 1, message: (err as Error).message, hint: 'Simplify the YAML aliases.' }], warnings: [] };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, problems: [{ path: '', line: 1, column: 1, message: 'the file is not a YAML mapping of rack settings', hint: 'Start from docs/rack-format.md or run `pirack import`.' }], warnings: [] };
  }

  const unplaced: UnplacedProblem[] = [...checkSchema(data), ...checkSemantics(data as RawRack)];
  const placeAll = (list: readonly UnplacedProblem[]) => dedupe(list.map((p) => place(doc, lc, p))).sort(byPosition);
  if (unplaced.length > 0) return { ok: false, problems: placeAll(unplaced), warnings: [] };

  const resolved = resolveRack(data as RawRack, {
    baseDir: options.baseDir,
    sourcePath: options.sourcePath,
    revision: options.revision ?? contentRevision(text),
    readFile: options.readFile ?? readUtf8,
    readPublicKey: options.readPublicKey ?? readPublicKeyFile,
    requireKey: options.requireKey ?? true,
    ...(options.resolveBuiltin ? { resolveBuiltin: options.resolveBuiltin } : {}),
  });
  const warnings = placeAll(resolved.warnings);
  if (!resolved.rack || resolved.problems.length > 0) return { ok: false, problems: placeAll(resolved.problems), warnings };
  return { ok: true, rack: deepFreeze(resolved.rack), warnings };
}

/** Two rules can find the same fault at the same place (a duplicate IP that is also the master's). */
function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function hintForYamlError(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'A key appears twice in the same mapping; keep one.';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'Check the indentation and punctuation at the position shown.';
    case 'TAB_AS_INDENT':
      return 'YAML indentation uses spaces, not tabs.';
    default:
      return 'Fix the YAML syntax at the position shown.';
  }
}

/** Reads and parses a rack.yaml file; never throws (an unreadable file is a problem too). */
export async function loadRackResult(path: string, options: Partial<ParseRackOptions> = {}): Promise<RackLoadResult> {
  const abs = resolvePath(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, problems: [{ path: '', line: 0, column: 0, message: `cannot read ${path} (${code})`, hint: 'Check the path (--rack) and that the file is readable.' }], warnings: [] };
  }
  return parseRack(text, { sourcePath: options.sourcePath ?? path, baseDir: options.baseDir ?? dirname(abs), ...options });
}

/**
 * Reads, validates and freezes rack.yaml. Rejects with a PiRackError listing every problem
 * (CONFIG_READ when unreadable, CONFIG_PARSE for YAML syntax, CONFIG_INVALID otherwise).
 */
export async function loadRack(path: string, options: Partial<ParseRackOptions> = {}): Promise<RackSpec> {
  const result = await loadRackResult(path, options);
  if (result.ok) return result.rack;
  const file = options.sourcePath ?? basename(path);
  const first = result.problems[0];
  const code = first?.line === 0 ? 'PIRACK_ERR_CONFIG_READ' : first?.path === '' && result.problems.every((p) => p.path === '') ? 'PIRACK_ERR_CONFIG_PARSE' : 'PIRACK_ERR_CONFIG_INVALID';
  const text = result.problems.map((p) => formatProblem(file, p)).join('\n');
  return Promise.reject(pirackError(code, `${result.problems.length} problem(s) in ${path}:\n${text}`, { where: path }));
}
