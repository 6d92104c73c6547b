/**
 * inotify (node's fs.watch on Linux) on the directories of managed files, authorized_keys and the
 * dpkg status database. Directories are watched rather than files because every writer that
 * matters replaces files by rename (PiRack's own atomic writes, editors, dpkg's status-new →
 * status), which ends a watch on the file itself. A directory that does not exist yet is waited
 * for through its nearest existing ancestor.
 */
import { existsSync, watch as fsWatch, type FSWatcher } from 'node:fs';
import { basename, dirname, relative } from 'node:path';

/** One thing to watch: `key` is what the notice reports when `path` may have changed. */
export interface WatchTarget {
  readonly path: string;
  readonly key: string;
}

export type WatchFn = (dir: string, listener: (event: string, filename: string | Buffer | null) => void) => FSWatcher;

const defaultWatch: WatchFn = (dir, listener) => fsWatch(dir, { persistent: true }, listener);

export class FileWatches {
  readonly #watchers = new Map<string, FSWatcher>();
  /** dir → (file name → keys) for the directories of the targets. */
  #byDir = new Map<string, Map<string, Set<string>>>();
  #closed = false;

  constructor(
    private readonly onEvent: (key: string) => void,
    private readonly watchFn: WatchFn = defaultWatch,
  ) {}

  /** Replaces the watched set; returns what could not be watched at all, each with why. */
  set(targets: readonly WatchTarget[]): string[] {
    this.#closeWatchers();
    this.#byDir = new Map();
    for (const t of targets) {
      const dir = dirname(t.path);
      const names = this.#byDir.get(dir) ?? new Map<string, Set<string>>();
      const keys = names.get(basename(t.path)) ?? new Set<string>();
      keys.add(t.key);
      names.set(basename(t.path), keys);
      this.#byDir.set(dir, names);
    }
    const problems: string[] = [];
    for (const dir of this.#byDir.keys()) {
      const problem = this.#arm(dir);
      if (problem) problems.push(problem);
    }
    return problems;
  }

  /** Directories (or ancestors standing in for missing ones) watched now. */
  watchedDirs(): string[] {
    return [...this.#watchers.keys()].sort();
  }

  close(): void {
    this.#closed = true;
    this.#closeWatchers();
  }

  #closeWatchers(): void {
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  /** Watches `dir`, or its nearest existing ancestor until it appears. */
  #arm(dir: string): string | undefined {
    if (this.#watchers.has(dir)) return undefined;
    try {
      const w = this.watchFn(dir, (_event, filename) => this.#onDirEvent(dir, filename === null ? null : String(filename)));
      w.on('error', () => this.#lost(dir));
      this.#watchers.set(dir, w);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `${dir}: ${(err as Error).message}`;
      const parent = dirname(dir);
      if (parent === dir) return `${dir}: no directory to watch`;
      return this.#armAncestor(parent, dir);
    }
  }

  /** Watches `ancestor` for `missing` (a descendant) to appear, then re-arms it. */
  #armAncestor(ancestor: string, missing: string): string | undefined {
    const key = `${ancestor}\u0000${missing}`;
    if (this.#watchers.has(key)) return undefined;
    try {
      let fired = false;
      const onStep = (): void => {
        // Anything in the ancestor may be the missing directory appearing (or a step towards it).
        if (fired) return;
        fired = true;
        w.close();
        this.#watchers.delete(key);
        if (this.#closed) return;
        const problem = this.#arm(missing);
        if (!problem && this.#watchers.has(missing)) this.#notifyDir(missing);
      };
      const w = this.watchFn(ancestor, onStep);
      w.on('error', () => this.#lost(key));
      this.#watchers.set(key, w);
      // The next step may have appeared between the failed watch and this one: look once.
      const step = `${ancestor.replace(/\/$/, '')}/${relative(ancestor, missing).split('/')[0]}`;
      if (existsSync(step)) onStep();
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = dirname(ancestor);
      if ((code === 'ENOENT' || code === 'ENOTDIR') && parent !== ancestor) return this.#armAncestor(parent, missing);
      return `${missing}: ${(err as Error).message}`;
    }
  }

  #onDirEvent(dir: string, filename: string | null): void {
    const names = this.#byDir.get(dir);
    if (!names) return;
    if (filename === null) return this.#notifyDir(dir);
    for (const key of names.get(filename) ?? []) this.onEvent(key);
  }

  #notifyDir(dir: string): void {
    for (const keys of this.#byDir.get(dir)?.values() ?? []) for (const key of keys) this.onEvent(key);
  }

  /** The directory went away (or inotify gave up on it): everything in it may have changed. */
  #lost(watchKey: string): void {
    const w = this.#watchers.get(watchKey);
    w?.close();
    this.#watchers.delete(watchKey);
    if (this.#closed) return;
    const dir = watchKey.includes('\u0000') ? watchKey.split('\u0000')[1]! : watchKey;
    this.#notifyDir(dir);
    this.#arm(dir);
  }
}
