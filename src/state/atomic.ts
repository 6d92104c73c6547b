/**
 * Atomic local file replacement for everything PiRack keeps in its state dir (pinned host keys,
 * status.json, MAC bindings) and for the dnsmasq hosts file: a reader or a power cut sees either
 * the old file or the new one, never half of each.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pirackError } from '../errors.ts';

export interface AtomicWriteOptions {
  /** File mode of the result, e.g. 0o600 for secrets; applied before the rename so it is never visible wider. */
  readonly mode?: number;
  /** Skip fsync (tests, or files that may be lost on power cut). Default false. */
  readonly noSync?: boolean;
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory (rename is only
 * atomic within one file system), fsync, rename over the target, then fsync the directory so the
 * rename itself survives a power cut. On failure the temporary file is removed and the target is
 * left as it was. Throws PiRackError STATE.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = options.mode ?? 0o644;
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      // open()'s mode is masked by the umask; chmod makes the mode exact.
      await handle.chmod(mode);
      if (!options.noSync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (cause) {
    await unlink(tmp).catch(() => undefined);
    throw pirackError('PIRACK_ERR_STATE', `cannot write ${path}: ${(cause as Error).message}`, { cause, where: path });
  }
  if (!options.noSync) await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Some file systems refuse fsync on a directory; the rename has happened, so this is best effort.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}
