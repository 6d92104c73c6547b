/**
 * The `file` source: rack.yaml watched with chokidar. The folder is watched rather than the file,
 * so an editor that writes a temporary file and renames it over rack.yaml (a new inode) is seen
 * like an in-place save. Revisions are content hashes; an event that leaves the content as it was
 * calls nobody.
 */
import { basename, dirname, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { contentRevision } from '../config/revision.ts';
import { confinedReader, maxRackBytes, readRegularFile, ReadRefusedError } from '../config/read-limited.ts';
import type { DesiredRevision, DesiredSource, SourceErrorHandler } from './types.ts';
import { serialize } from './serial.ts';

export interface FileSourceOptions {
  readonly path: string;
  /** Quiet time after the last event before reading (editors write in several steps). Default 100. */
  readonly debounceMs?: number;
  /** Safety-net re-read for events a watch can miss; 0 turns it off. Default 5000. */
  readonly pollIntervalMs?: number;
  readonly onError?: SourceErrorHandler;
  /** Size limit of rack.yaml and each `source:` file. Default maxRackBytes() (1 MiB). */
  readonly maxBytes?: number;
  /** Folders besides rack.yaml's own that `source:` may read from (--allow-source); default none. */
  readonly allowedSourceDirs?: readonly string[];
}

export function createFileSource(options: FileSourceOptions): DesiredSource {
  const path = resolve(options.path);
  const dir = dirname(path);
  const name = basename(path);
  const debounceMs = options.debounceMs ?? 100;
  const maxBytes = options.maxBytes ?? maxRackBytes();
  // rack.yaml's folder, and only what the master's operator allowed besides it.
  const roots = [dir, ...(options.allowedSourceDirs ?? []).map((d) => resolve(d))];
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let settle: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let last: string | undefined;
  let stopped = false;
  let emit: ((r: DesiredRevision) => void) | undefined;

  const check = serialize(async () => {
    let text: string;
    try {
      text = await readRegularFile(path, maxBytes);
    } catch (err) {
      if (err instanceof ReadRefusedError) {
        // Refused unread (a FIFO, a device, too large): reported as a rejected revision, once.
        const revision = `refused:${contentRevision(err.message)}`;
        if (stopped || revision === last) return;
        last = revision;
        emit?.({ revision, text: '', path, refused: err.message });
        return;
      }
      // Between an editor's unlink and rename the file is briefly missing; the next event reads it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') options.onError?.(err as Error);
      return;
    }
    const revision = contentRevision(text);
    if (stopped || revision === last) return;
    last = revision;
    emit?.({ revision, text, path, sourceRoots: roots, readFile: confinedReader(roots, maxBytes) });
  });

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void check();
      // A second save right after a rename can land before chokidar watches the new inode and
      // raise no event; one more read shortly after settles it.
      if (settle) clearTimeout(settle);
      settle = setTimeout(() => {
        settle = undefined;
        void check();
      }, 250);
    }, debounceMs);
  };

  return {
    async start(onRevision) {
      emit = onRevision;
      stopped = false;
      await check();
      watcher = watch(dir, {
        depth: 0,
        ignoreInitial: true,
        // Only rack.yaml matters; everything else in its folder is noise.
        ignored: (p: string) => p !== dir && basename(p) !== name,
        atomic: true,
      });
      watcher.on('all', (_event, p) => {
        if (p === path) schedule();
      });
      watcher.on('error', (err) => options.onError?.(err as Error));
      await new Promise<void>((ready) => watcher!.once('ready', () => ready()));
      // A save between the first read and the watch being ready would otherwise be missed.
      await check();
      const every = options.pollIntervalMs ?? 5000;
      if (every > 0) poll = setInterval(() => void check(), every);
    },
    check,
    async stop() {
      stopped = true;
      for (const t of [timer, settle]) if (t) clearTimeout(t);
      if (poll) clearInterval(poll);
      timer = settle = poll = undefined;
      await watcher?.close();
      watcher = undefined;
    },
  };
}
