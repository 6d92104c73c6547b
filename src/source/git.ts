/**
 * The `git` source: the committed rack.yaml of a branch (`git show <commit>:<path>`), so an edit
 * that is not committed is never applied. Commits are noticed by watching the repository's refs
 * (loose refs, packed-refs, HEAD) and, as a safety net for what a watch can miss (a commit while
 * the watch was starting, a filesystem without events), by a periodic check. With a remote, the
 * branch is fetched on an interval and `<remote>/<branch>` is read instead.
 */
import { execFile, execFileSync } from 'node:child_process';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { DesiredRevision, DesiredSource, SourceErrorHandler } from './types.ts';
import { serialize } from './serial.ts';
import { confinedReader, maxRackBytes, ReadRefusedError } from '../config/read-limited.ts';

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
  /** Size limit of rack.yaml and each `source:` blob. Default maxRackBytes() (1 MiB). */
  readonly maxBytes?: number;
  /** Folders outside the repository `source:` may read from disk (--allow-source); default none. */
  readonly allowedSourceDirs?: readonly string[];
}

/** What a `source:` reader may read beyond the commit's own files. */
export interface ReaderLimits {
  readonly maxBytes?: number;
  readonly allowedSourceDirs?: readonly string[];
}

const GIT_ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };

function git(args: readonly string[], cwd: string, timeout: number, maxBuffer = 16 * 1024 * 1024): Promise<string> {
  return new Promise((done, fail) => {
    execFile('git', [...args], { cwd, timeout, env: GIT_ENV, maxBuffer }, (err, stdout, stderr) => {
      if (err) fail(Object.assign(new Error(`git ${args.join(' ')}: ${String(stderr).trim() || err.message}`), { cause: err }));
      else done(String(stdout));
    });
  });
}

function gitSync(args: readonly string[], cwd: string, timeout: number, maxBuffer = 1024 * 1024): string {
  return execFileSync('git', [...args], { cwd, timeout, env: GIT_ENV, encoding: 'utf8', maxBuffer, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `git ls-tree -l -z` for one path: mode, type, object id and size, without reading the blob. */
const lsTreeArgs = (commit: string, rel: string) => ['--literal-pathspecs', 'ls-tree', '-l', '-z', commit, '--', rel];

/**
 * The blob to read for `rel`, after checking in the tree what it is: a regular file (not a
 * symbolic link, a folder or a submodule) of at most `maxBytes`. The size comes from the tree, so
 * an oversized blob is refused before git prints a byte of it.
 */
export function blobOf(lsTree: string, rel: string, commit: string, maxBytes: number): string {
  const entry = lsTree.split('\0').find((line) => line.endsWith(`\t${rel}`));
  const where = `${rel} in commit ${commit.slice(0, 12)}`;
  if (!entry) throw Object.assign(new Error(`${where} does not exist`), { code: 'ENOENT' });
  const [mode, type, id, size] = entry.slice(0, entry.indexOf('\t')).split(/\s+/);
  if (mode === '120000') throw new ReadRefusedError('ESYMLINK', `${where} is a symbolic link; only regular files are read`);
  if (type !== 'blob')
    throw new ReadRefusedError(
      'ENOTREG',
      `${where} is ${type === 'tree' ? 'a directory' : `a ${type ?? 'strange entry'}`}; only regular files are read`,
    );
  if (Number(size) > maxBytes) throw new ReadRefusedError('EFBIG', `${where} is ${size} bytes, over the limit of ${maxBytes} bytes`);
  return id!;
}

/**
 * Reads files of one commit for `source:`. Inside the repository: the committed blob, checked
 * first (blobOf). Outside it: refused, unless the path lies in an allowed folder, which is read
 * from disk (regular files only, size-limited). A committed `source: ../rack/id_ed25519` would
 * otherwise push the master's private key to every Pi.
 */
export function committedFileReader(
  repoDir: string,
  commit: string,
  timeoutMs = 60_000,
  limits: ReaderLimits = {},
): (absPath: string) => string {
  const maxBytes = limits.maxBytes ?? maxRackBytes();
  const allowed = limits.allowedSourceDirs ?? [];
  const fromDisk = confinedReader(allowed, maxBytes);
  return (absPath) => {
    const rel = relative(repoDir, absPath);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      if (allowed.length === 0) {
        throw new ReadRefusedError(
          'EOUTSIDE',
          `${absPath} lies outside the repository ${repoDir}; source: files must be committed in the repository, unless the master allows another folder with --allow-source <dir>`,
        );
      }
      return fromDisk(absPath);
    }
    const path = rel.split(sep).join('/');
    const id = blobOf(gitSync(lsTreeArgs(commit, path), repoDir, timeoutMs), path, commit, maxBytes);
    return gitSync(['cat-file', 'blob', id], repoDir, timeoutMs, maxBytes + 1);
  };
}

export function createGitSource(options: GitSourceOptions): DesiredSource {
  const repoDir = resolve(options.repoDir);
  const file = options.path ?? 'rack.yaml';
  const timeout = options.gitTimeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? maxRackBytes();
  const allowed = (options.allowedSourceDirs ?? []).map((dir) => resolve(dir));
  const ref = options.remote ? `refs/remotes/${options.remote.name}/${options.branch}` : `refs/heads/${options.branch}`;
  let emit: ((r: DesiredRevision) => void) | undefined;
  let last: string | undefined;
  let stopped = true;
  let watcher: FSWatcher | undefined;
  const timers: NodeJS.Timeout[] = [];
  let debounce: NodeJS.Timeout | undefined;

  const read = serialize(async () => {
    if (stopped) return;
    let commit: string;
    try {
      commit = (await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repoDir, timeout)).trim();
    } catch (err) {
      options.onError?.(new Error(`${ref} does not name a commit in ${repoDir}`, { cause: err }));
      return;
    }
    if (stopped || commit === last) return;
    let text: string;
    const path = file.split(sep).join('/').replace(/^\.\//, '');
    try {
      const id = blobOf(await git(lsTreeArgs(commit, path), repoDir, timeout), path, commit, maxBytes);
      text = await git(['cat-file', 'blob', id], repoDir, timeout, maxBytes + 1);
    } catch (err) {
      last = commit;
      if (err instanceof ReadRefusedError) {
        // Refused before reading: still a revision, so status and events say why it was not applied.
        if (!stopped) emit?.({ revision: commit, text: '', path: join(repoDir, file), refused: err.message });
        return;
      }
      options.onError?.(new Error(`commit ${commit.slice(0, 12)} of ${ref} has no ${file}`, { cause: err }));
      return;
    }
    if (stopped) return;
    last = commit;
    emit?.({
      revision: commit,
      text,
      path: join(repoDir, file),
      sourceRoots: [repoDir, ...allowed],
      readFile: committedFileReader(repoDir, commit, timeout, { maxBytes, allowedSourceDirs: allowed }),
    });
  });

  const fetchAndRead = serialize(async () => {
    if (stopped) return;
    if (options.remote) {
      const { name } = options.remote;
      try {
        await git(
          ['fetch', '--quiet', '--no-tags', name, `+refs/heads/${options.branch}:refs/remotes/${name}/${options.branch}`],
          repoDir,
          timeout,
        );
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
      // Let a fetch or read in flight finish (their reruns return at once), so nothing touches the
      // repository after stop resolves.
      await fetchAndRead();
      await read();
      await watcher?.close();
      watcher = undefined;
    },
  };
}
