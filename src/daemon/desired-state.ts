/**
 * Accepts or rejects each new revision of rack.yaml. A revision that fails to parse or validate
 * is never applied: the last good one stays in force and the new one's problems are reported with
 * file:line:column. The last good text is kept in the state dir so a restarted daemon resumes
 * from it even when the current revision is broken.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseRack } from '../config/load.ts';
import { formatProblem } from '../config/problem.ts';
import type { RackSpec } from '../model/desired.ts';
import { resolveBuiltin } from '../slave/bundle.ts';
import type { DesiredRevision } from '../source/types.ts';
import { writeFileAtomic } from '../state/atomic.ts';

export type Revision = DesiredRevision;

export type Verdict =
  | { readonly ok: true; readonly rack: RackSpec; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

const LAST_GOOD = 'last-good-rack.json';

export function judgeRevision(rev: Revision, baseDir = dirname(rev.path)): Verdict {
  const result = parseRack(rev.text, { sourcePath: rev.path, baseDir, resolveBuiltin, revision: rev.revision, ...(rev.readFile ? { readFile: rev.readFile } : {}) });
  const warnings = result.warnings.map((p) => formatProblem(rev.path, p));
  if (result.ok) return { ok: true, rack: result.rack, warnings };
  return { ok: false, errors: result.problems.map((p) => formatProblem(rev.path, p)) };
}

/**
 * Keeps the text of the last good revision. Files it refers to by `source:` are read from disk
 * again on resume (a git source's reader cannot be stored); their content is checked as ever.
 */
export async function saveLastGood(stateDir: string, rev: Revision): Promise<void> {
  const { revision, text, path } = rev;
  await writeFileAtomic(join(stateDir, LAST_GOOD), JSON.stringify({ revision, text, path }), { mode: 0o600 });
}

export async function loadLastGood(stateDir: string): Promise<Revision | undefined> {
  try {
    const rev = JSON.parse(await readFile(join(stateDir, LAST_GOOD), 'utf8')) as Revision;
    return typeof rev.text === 'string' && typeof rev.revision === 'string' ? rev : undefined;
  } catch {
    return undefined;
  }
}
