/**
 * The `git` source: the committed rack.yaml of a branch (`git show <commit>:<path>`), so an edit
 * that is not committed is never applied. Commits are noticed by watching the repository's refs
 * (loose refs, packed-refs, HEAD) and, as a safety net for what a watch can miss (a commit while
 * the watch was starting, a filesystem without events), by a periodic check. With a remote, the
 * branch is fetched on an interval and `<remote>/<branch>` is read instead.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { DesiredRevision, DesiredSource, SourceErrorHandler } from './types.ts';
import { serialize } from './serial.ts';

export interface GitSourceOptions {
  /** The working tree's top folder. */
  readonly repoDir: string;
  readonly branch: string;
  /** rack.yaml's path inside the repository. Default `rack.yaml`. */
  readonly path?: string;
  /** Fetch `<name>/<branch>` every `fetchIntervalMs` and follow it instead of the local branch. */
  readonly remote?: { readonly name: string; readonly fetchIntervalMs: number };
  /** The safety-net check. Default 5000 ms. */
  readonly pollIntervalMs?: number;
  /** Quiet time after a ref event. Default 50 ms. */
  readonly debounceMs?: number;
  /** Bound on every git command. Default 60 s (a fetch over a slow link). */
  readonly gitTimeoutMs?: number;
  readonly onError?: SourceErrorHandler;
}

const GIT_ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };

function git(args: readonly string[], cwd: string, timeout: number): Promise<string> {
  return new Promise((done, fail) => {
    execFile('git', [...args], { cwd, timeout, env: GIT_ENV, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) fail(Object.assign(new Error(`git ${args.join(' ')}: ${String(stderr).trim() || err.message}`), { cause: err }));
      else done(String(stdout));
    });
  });
}

/** Reads files of one commit, for `source:` paths inside the repository; outside it, from disk. */
export function committedFileReader(repoDir: string, commit: string, timeoutMs = 60_000): (absPath: string) => string {
  return (absPath) => {
    const rel = relative(repoDir, absPath);
    if (rel.startsWith('..') || isAbsolute(rel)) return readFileSync(absPath, 'utf8');
    return execFileSync('git', ['show', `${commit}:./${rel.split(sep).join('/')}`], { cwd: repoDir, timeout: timeoutMs, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
}

export function createGitSource(options: GitSourceOptions): DesiredSource {
  const repoDir = resolve(options.repoDir);
  const file = options.path ?? 'rack.yaml';
  const timeout = options.gitTimeoutMs ?? 60_000;
  const ref = options.remote ? `refs/remotes/${options.remote.name}/${options.branch}` : `refs/heads/${options.branch}`;
  let emit: ((r: DesiredRevision) => void) | undefined;
  let last: string | undefined;
  let stopped = true;
  let watcher: FSWatcher | undefined;
  const timers: NodeJS.Timeout[] = [];
  let debounce: NodeJS.Timeout | undefined;

  const read = serialize(async () => {
    let commit: string;
    try {
      commit = (await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repoDir, timeout)).trim();
    } catch (err) {
      options.onError?.(new Error(`${ref} does not name a commit in ${repoDir}`, { cause: err }));
      return;
    }
    if (stopped || commit === last) return;
    let text: string;
    try {
      text = await git(['show', `${commit}:./${file}`], repoDir, timeout);
    } catch (err) {
      last = commit;
      options.onError?.(new Error(`commit ${commit.slice(0, 12)} of ${ref} has no ${file}`, { cause: err }));
      return;
    }
    if (stopped) return;
    last = commit;
    emit?.({ revision: commit, text, path: join(repoDir, file), readFile: committedFileReader(repoDir, commit, timeout) });
  });

  const fetchAndRead = serialize(async () => {
    if (options.remote) {
      const { name } = options.remote;
      try {
        await git(['fetch', '--quiet', '--no-tags', name, `+refs/heads/${options.branch}:refs/remotes/${name}/${options.branch}`], repoDir, timeout);
      } catch (err) {
        options.onError?.(err as Error);
      }
    }
    await read();
  });

  const schedule = () => {
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      if (!stopped) void read();
    }, options.debounceMs ?? 50);
  };

  return {
    async start(onRevision) {
      emit = onRevision;
      stopped = false;
      const gitDir = (await git(['rev-parse', '--absolute-git-dir'], repoDir, timeout)).trim();
      const refsDir = join(gitDir, 'refs');
      const wanted = new Set([gitDir, join(gitDir, 'HEAD'), join(gitDir, 'packed-refs'), refsDir]);
      await fetchAndRead();
      watcher = watch(gitDir, {
        ignoreInitial: true,
        depth: 8,
        // Objects, logs and the index change all the time; only refs say a branch moved.
        ignored: (p: string) => !(wanted.has(p) || p.startsWith(refsDir + sep)),
      });
      watcher.on('all', schedule);
      watcher.on('error', (err) => options.onError?.(err as Error));
      await new Promise<void>((ready) => watcher!.once('ready', () => ready()));
      timers.push(setInterval(() => void read(), options.pollIntervalMs ?? 5000));
      if (options.remote) timers.push(setInterval(() => void fetchAndRead(), options.remote.fetchIntervalMs));
      await read();
    },
    check: fetchAndRead,
    async stop() {
      stopped = true;
      for (const t of timers.splice(0)) clearInterval(t);
      if (debounce) clearTimeout(debounce);
      await watcher?.close();
      watcher = undefined;
    },
  };
}
