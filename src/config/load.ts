/**
 * The edge of the program (STYLE.md §6): rack.yaml text in, a frozen RackSpec or every problem
 * with file:line:column out. `parseRack` is pure apart from the injected readers; `loadRack` adds
 * the file system.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { RackSpec } from '../model/desired.ts';
import { pirackError } from '../errors.ts';
import type { Problem, UnplacedProblem } from './problem.ts';
import { formatProblem } from './problem.ts';
import { byPosition, PositionIndex, positionTable, type PositionTable } from './positions.ts';
import { flowTooDeep, MAX_DEPTH, valueTooDeep } from './depth.ts';
import { confinedReader, maxRackBytes, readRegularFile, ReadRefusedError } from './read-limited.ts';
import { checkSchemaBounded } from './schema.ts';
import { duplicateKeys } from './duplicate-keys.ts';
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
  /**
   * Reads a `source:` file by absolute path. Default: regular files of at most `maxBytes`, inside
   * `baseDir` or one of `allowedSourceDirs` (symbolic links resolved).
   */
  readonly readFile?: (absPath: string) => string;
  /** Folders outside `baseDir` the default reader may read `source:` files from (--allow-source). */
  readonly allowedSourceDirs?: readonly string[];
  /** Size limit of rack.yaml and of each `source:` file. Default maxRackBytes() (1 MiB). */
  readonly maxBytes?: number;
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

/** More than this many problems are summed up in one line: a person fixes the first ones first. */
export const MAX_PROBLEMS = 100;
/**
 * yaml's parser slows down steeply on long documents (50,000 short lines took several seconds
 * here); a rack.yaml for a thousand Pis is a few thousand lines.
 */
export const MAX_LINES = 20_000;
/** Schema errors turned into sentences; beyond this they are only counted (50,000 unknown keys). */
const SCHEMA_ERRORS_PHRASED = 1000;

/** The default public key reader: a missing file is "no key", other errors propagate. */
export function readPublicKeyFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** What judging the text alone found: the document's data and where each node is, or problems. */
export type RackAnalysis =
  | { readonly ok: true; readonly data: RawRack; readonly positions: PositionTable }
  | { readonly ok: false; readonly problems: readonly Problem[] };

const whole = (message: string, hint: string, line = 1, column = 1): RackAnalysis => ({
  ok: false,
  problems: [{ path: '', line, column, message, hint }],
});

/**
 * Judges one rack.yaml text without touching anything else: size, nesting, YAML syntax, schema
 * and the semantic rules. Pure, and bounded: the size is checked first, nesting before the YAML is
 * composed, problems are placed through one index of the document, and at most a few hundred are
 * phrased. Its result is plain data, so the daemon runs it in a worker with time and memory
 * limits (src/config/analyse-in-worker.ts): yaml's parser alone needs seconds for some files
 * within the size limit, and that must never stall the daemon's loop.
 */
export function analyseRack(text: string, maxBytes: number = maxRackBytes()): RackAnalysis {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    return whole(
      `the file is ${bytes} bytes, over the limit of ${maxBytes} bytes`,
      'A rack.yaml is a few KiB; check that the right file was committed, or raise the limit on the master (PIRACK_MAX_RACK_BYTES).',
    );
  }
  const lines = lineCount(text);
  if (lines > MAX_LINES) {
    return whole(
      `the file has ${lines} lines, over the limit of ${MAX_LINES}`,
      'A rack.yaml is a few hundred lines; move large file contents to `source:` files.',
      MAX_LINES + 1,
      1,
    );
  }
  const lc = new LineCounter();
  const deep = flowTooDeep(text);
  if (deep !== undefined) {
    const pos = positionOf(text, deep);
    return whole(
      `the YAML nests [ ] or { } deeper than ${MAX_DEPTH} levels`,
      'rack.yaml needs a handful of levels; close the brackets or write the value out.',
      pos.line,
      pos.column,
    );
  }
  let doc: ReturnType<typeof parseDocument>;
  let data: unknown;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false, strict: true });
    const syntax: Problem[] = doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return { path: '', line: pos.line, column: pos.col, message: e.message.split('\n')[0] ?? e.message, hint: hintForYamlError(e.code) };
    });
    if (syntax.length === 0) {
      for (const { key, offset } of duplicateKeys(doc)) {
        const pos = lc.linePos(offset);
        syntax.push({
          path: '',
          line: pos.line,
          column: pos.col,
          message: `Map keys must be unique: ${JSON.stringify(key.length > 60 ? `${key.slice(0, 57)}...` : key)} appears twice`,
          hint: hintForYamlError('DUPLICATE_KEY'),
        });
      }
    }
    if (syntax.length > 0) return { ok: false, problems: capped(syntax) };
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    const message = err instanceof RangeError ? `the YAML nests too deeply to read (${err.message})` : (err as Error).message;
    return whole(message, 'Simplify the YAML: fewer aliases and nesting levels.');
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return whole('the file is not a YAML mapping of rack settings', 'Start from docs/rack-format.md or run `pirack import`.');
  }
  const positions = positionTable(doc, lc);
  const index = new PositionIndex(positions);
  const tooDeep = valueTooDeep(data);
  if (tooDeep !== undefined) {
    const pos = index.locate(tooDeep);
    return whole(
      `the document nests deeper than ${MAX_DEPTH} levels`,
      'rack.yaml needs a handful of levels; check the indentation.',
      pos.line,
      pos.column,
    );
  }
  const schema = checkSchemaBounded(data, SCHEMA_ERRORS_PHRASED);
  const unplaced: UnplacedProblem[] = [...schema.problems, ...checkSemantics(data as RawRack)];
  if (unplaced.length > 0) return { ok: false, problems: placeAll(index, unplaced, schema.omitted) };
  return { ok: true, data: data as RawRack, positions };
}

function placeAll(index: PositionIndex, list: readonly UnplacedProblem[], omitted = 0): Problem[] {
  return capped(dedupe(list.map((p) => index.place(p))).sort(byPosition), omitted);
}

/**
 * The second half of judging: reads what the document refers to (`source:` files, the daemon's
 * key) and builds the frozen RackSpec.
 */
export function resolveAnalysed(analysis: RackAnalysis, text: string, options: ParseRackOptions): RackLoadResult {
  if (!analysis.ok) return { ok: false, problems: analysis.problems, warnings: [] };
  const index = new PositionIndex(analysis.positions);
  const maxBytes = options.maxBytes ?? maxRackBytes();
  const resolved = resolveRack(analysis.data, {
    baseDir: options.baseDir,
    sourcePath: options.sourcePath,
    revision: options.revision ?? contentRevision(text),
    readFile: options.readFile ?? confinedReader([options.baseDir, ...(options.allowedSourceDirs ?? [])], maxBytes),
    readPublicKey: options.readPublicKey ?? readPublicKeyFile,
    requireKey: options.requireKey ?? true,
    ...(options.resolveBuiltin ? { resolveBuiltin: options.resolveBuiltin } : {}),
  });
  const warnings = placeAll(index, resolved.warnings);
  if (!resolved.rack || resolved.problems.length > 0) return { ok: false, problems: placeAll(index, resolved.problems), warnings };
  return { ok: true, rack: deepFreeze(resolved.rack), warnings };
}

/** Judges one rack.yaml text in this thread: analyseRack, then resolveAnalysed. */
export function parseRack(text: string, options: ParseRackOptions): RackLoadResult {
  return resolveAnalysed(analyseRack(text, options.maxBytes), text, options);
}

function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** The first MAX_PROBLEMS, then one line saying how many more (`omitted` were never phrased). */
function capped(problems: Problem[], omitted = 0): Problem[] {
  if (problems.length <= MAX_PROBLEMS && omitted === 0) return problems;
  const shown = problems.slice(0, MAX_PROBLEMS);
  const last = shown[shown.length - 1];
  return [
    ...shown,
    {
      path: '',
      line: last?.line ?? 1,
      column: last?.column ?? 1,
      message: `and ${problems.length - shown.length + omitted} more problem(s) not shown`,
      hint: 'Fix the ones above first.',
    },
  ];
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
    text = await readRegularFile(abs, options.maxBytes ?? maxRackBytes());
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = err instanceof ReadRefusedError ? err.message : `cannot read ${path} (${code})`;
    return {
      ok: false,
      problems: [{ path: '', line: 0, column: 0, message: why, hint: 'Check the path (--rack) and that it names a readable rack.yaml.' }],
      warnings: [],
    };
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
  const code =
    first?.line === 0
      ? 'PIRACK_ERR_CONFIG_READ'
      : first?.path === '' && result.problems.every((p) => p.path === '')
        ? 'PIRACK_ERR_CONFIG_PARSE'
        : 'PIRACK_ERR_CONFIG_INVALID';
  const text = result.problems.map((p) => formatProblem(file, p)).join('\n');
  return Promise.reject(pirackError(code, `${result.problems.length} problem(s) in ${path}:\n${text}`, { where: path }));
}
