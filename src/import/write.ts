/** Writes a file atomically: a reader sees the old file or the new one, never half of one. */
import { link, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export class AlreadyExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists`);
  }
}

/**
 * Without `overwrite`, the new file is hard-linked into place, which fails atomically if the
 * target appeared in the meantime; with it, renamed over the old one.
 */
export async function writeFileAtomic(path: string, text: string, overwrite: boolean): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, text, { mode: 0o644, flag: 'wx' });
  try {
    if (overwrite) await rename(tmp, path);
    else {
      try {
        await link(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError(path);
        throw err;
      }
    }
  } finally {
    await rm(tmp, { force: true });
  }
}
