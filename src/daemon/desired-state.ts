/**
 * Accepts or rejects each new revision of rack.yaml. A revision that fails to parse or validate
 * is never applied: the last good one stays in force and the new one's problems are reported with
 * file:line:column. The last good text is kept in the state dir so a restarted daemon resumes
 * from it even when the current revision is broken.
 *
 * Judging is bounded (src/config/load.ts), and guarded besides: a marker in the state dir names
 * the revision being judged, so if judging ever stops the daemon (out of memory, killed) the
 * restart refuses that revision instead of crashing on it again and again.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseRack, resolveAnalysed, type RackLoadResult } from '../config/load.ts';
import { analyseInWorker, type WorkerLimits } from '../config/analyse-in-worker.ts';
import { formatProblem } from '../config/problem.ts';
import { confinedReader } from '../config/read-limited.ts';
import type { RackSpec } from '../model/desired.ts';
import { resolveBuiltin } from '../slave/bundle.ts';
import type { DesiredRevision } from '../source/types.ts';
import { writeFileAtomic } from '../state/atomic.ts';

export type Revision = DesiredRevision;

export type Verdict =
  | { readonly ok: true; readonly rack: RackSpec; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

const LAST_GOOD = 'last-good-rack.json';
const JUDGING = 'judging-revision.json';
const CRASHED = 'crashed-revisions.json';
/** Enough to outlast any crash loop; old entries go first. */
const CRASHED_KEPT = 20;

/** A revision refused as a whole (no position inside it to point at). */
function wholeFileVerdict(path: string, message: string, hint: string): Verdict {
  return { ok: false, errors: [formatProblem(path, { path: '', line: 0, column: 0, message, hint })] };
}

function refusedVerdict(rev: Revision & { refused: string }): Verdict {
  return wholeFileVerdict(
    rev.path,
    rev.refused,
    'Point the daemon at a regular rack.yaml within the size limit (PIRACK_MAX_RACK_BYTES, default 1 MiB).',
  );
}

function toVerdict(rev: Revision, judge: () => RackLoadResult): Verdict {
  try {
    const result = judge();
    const warnings = result.warnings.map((p) => formatProblem(rev.path, p));
    if (result.ok) return { ok: true, rack: result.rack, warnings };
    return { ok: false, errors: result.problems.map((p) => formatProblem(rev.path, p)) };
  } catch (err) {
    // parseRack reports problems as values; a throw is a bug, but still only this revision's problem.
    return wholeFileVerdict(
      rev.path,
      `judging the revision failed: ${(err as Error).message}`,
      'This is a PiRack bug; please report it with the file. The last good revision stays in force.',
    );
  }
}

const optionsOf = (rev: Revision, baseDir: string) => ({
  sourcePath: rev.path,
  baseDir,
  resolveBuiltin,
  revision: rev.revision,
  ...(rev.readFile ? { readFile: rev.readFile } : {}),
});

/** Judges in this thread (tests, tools); the daemon uses judgeRevisionGuarded. */
export function judgeRevision(rev: Revision, baseDir = dirname(rev.path)): Verdict {
  if (rev.refused !== undefined) return refusedVerdict(rev as Revision & { refused: string });
  return toVerdict(rev, () => parseRack(rev.text, optionsOf(rev, baseDir)));
}

/**
 * Judges with the text analysed in a worker (time and memory limits, src/config/analyse-in-worker.ts),
 * then reads `source:` files through the revision's own reader here.
 */
export async function judgeRevisionOffThread(rev: Revision, limits: WorkerLimits = {}, baseDir = dirname(rev.path)): Promise<Verdict> {
  if (rev.refused !== undefined) return refusedVerdict(rev as Revision & { refused: string });
  const analysis = await analyseInWorker(rev.text, limits);
  return toVerdict(rev, () => resolveAnalysed(analysis, rev.text, optionsOf(rev, baseDir)));
}

interface CrashRecord {
  readonly revision: string;
  readonly since: string;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function crashError(rev: Revision, record: CrashRecord): string {
  return formatProblem(rev.path, {
    path: '',
    line: 0,
    column: 0,
    message: `revision ${rev.revision} stopped the daemon while it was being judged (${record.since}); it is refused without judging it again`,
    hint: 'Commit or save a fixed rack.yaml; please report the file as a PiRack bug.',
  });
}

/**
 * judgeRevision with the crash guard: a revision that was being judged when the daemon last
 * stopped is refused, and remembered in the state dir as such.
 */
export async function judgeRevisionGuarded(stateDir: string, rev: Revision, limits: WorkerLimits = {}): Promise<Verdict> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const crashedPath = join(stateDir, CRASHED);
  const judgingPath = join(stateDir, JUDGING);
  let crashed = (await readJson<CrashRecord[]>(crashedPath)) ?? [];
  if (!Array.isArray(crashed)) crashed = [];
  const interrupted = await readJson<CrashRecord>(judgingPath);
  if (interrupted && typeof interrupted.revision === 'string' && !crashed.some((c) => c.revision === interrupted.revision)) {
    crashed = [...crashed, { revision: interrupted.revision, since: interrupted.since }].slice(-CRASHED_KEPT);
    await writeFileAtomic(crashedPath, JSON.stringify(crashed), { mode: 0o600 });
  }
  const known = crashed.find((c) => c.revision === rev.revision);
  if (known) {
    await rm(judgingPath, { force: true });
    return { ok: false, errors: [crashError(rev, known)] };
  }
  await writeFileAtomic(judgingPath, JSON.stringify({ revision: rev.revision, since: new Date().toISOString() }), { mode: 0o600 });
  const verdict = await judgeRevisionOffThread(rev, limits);
  await rm(judgingPath, { force: true });
  return verdict;
}

/**
 * Keeps the text of the last good revision. Files it refers to by `source:` are read from disk
 * again on resume (a git source's reader cannot be stored), confined to the same folders as when
 * it was accepted; their content is checked as ever.
 */
export async function saveLastGood(stateDir: string, rev: Revision): Promise<void> {
  const { revision, text, path, sourceRoots } = rev;
  await writeFileAtomic(join(stateDir, LAST_GOOD), JSON.stringify({ revision, text, path, ...(sourceRoots ? { sourceRoots } : {}) }), {
    mode: 0o600,
  });
}

export async function loadLastGood(stateDir: string): Promise<Revision | undefined> {
  const rev = await readJson<Revision>(join(stateDir, LAST_GOOD));
  if (!rev || typeof rev.text !== 'string' || typeof rev.revision !== 'string' || typeof rev.path !== 'string') return undefined;
  const roots =
    Array.isArray(rev.sourceRoots) && rev.sourceRoots.every((r) => typeof r === 'string') ? rev.sourceRoots : [dirname(rev.path)];
  return { revision: rev.revision, text: rev.text, path: rev.path, sourceRoots: roots, readFile: confinedReader(roots) };
}
