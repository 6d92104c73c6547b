/**
 * The `file` source: rack.yaml watched with chokidar. The folder is watched rather than the file,
 * so an editor that writes a temporary file and renames it over rack.yaml (a new inode) is seen
 * like an in-place save. Revisions are content hashes; an event that leaves the content as it was
 * calls nobody.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { contentRevision } from '../config/revision.ts';
import type { DesiredRevision, DesiredSource, SourceErrorHandler } from './types.ts';
import { serialize } from './serial.ts';

export interface FileSourceOptions {
  readonly path: string;
  /** Quiet time after the last event before reading (editors write in several steps). Default 100. */
  readonly debounceMs?: number;
  /** Safety-net re-read for events a watch can miss; 0 turns it off. Default 5000. */
  readonly pollIntervalMs?: number;
  readonly onError?: SourceErrorHandler;
}

export function createFileSource(options: FileSourceOptions): DesiredSource {
  const path = resolve(options.path);
  const dir = dirname(path);
  const name = basename(path);
  const debounceMs = options.debounceMs ?? 100;
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
      text = await readFile(path, 'utf8');
    } catch (err) {
      // Between an editor's unlink and rename the file is briefly missing; the next event reads it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') options.onError?.(err as Error);
      return;
    }
    const revision = contentRevision(text);
    if (stopped || revision === last) return;
    last = revision;
    emit?.({ revision, text, path, readFile: (p) => readFileSync(p, 'utf8') });
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
