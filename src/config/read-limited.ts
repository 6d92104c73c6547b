/**
 * Reading rack.yaml and the files it names without letting the file decide how much work that
 * is. Only regular files are read: a FIFO would block the reading thread forever (the daemon froze,
 * SIGTERM ignored) and /dev/zero never ends (the daemon aborted with std::bad_alloc). The size is
 * checked on the open descriptor before reading and again while reading, so a file that grows
 * between the two cannot slip past the limit. Opening with O_NONBLOCK makes the open of a FIFO
 * return at once instead of waiting for a writer.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

/** 1 MiB: a rack of a thousand Pis with every override written out is well under 100 KiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/** The limit in force: `PIRACK_MAX_RACK_BYTES` (bytes) when set to a positive integer, else 1 MiB. */
export function maxRackBytes(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.PIRACK_MAX_RACK_BYTES);
  return Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_MAX_BYTES;
}

/** A file we refuse to read; `code` says why, for messages and tests. */
export class ReadRefusedError extends Error {
  constructor(
    readonly code: 'ENOTREG' | 'EFBIG' | 'EOUTSIDE' | 'ESYMLINK',
    message: string,
  ) {
    super(message);
    this.name = 'ReadRefusedError';
  }
}

export function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function refuseUnlessRegular(path: string, stats: Stats, maxBytes: number): void {
  if (!stats.isFile()) throw new ReadRefusedError('ENOTREG', `${path} is ${kindOf(stats)}; only regular files are read`);
  if (stats.size > maxBytes) throw new ReadRefusedError('EFBIG', `${path} is ${stats.size} bytes, over the limit of ${maxBytes} bytes`);
}

const tooBig = (path: string, maxBytes: number) =>
  new ReadRefusedError('EFBIG', `${path} grew past the limit of ${maxBytes} bytes while being read`);

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Reads a regular file of at most `maxBytes` as UTF-8; throws ReadRefusedError or the fs error. */
export function readRegularFileSync(path: string, maxBytes: number = maxRackBytes()): string {
  const fd = openSync(path, FLAGS);
  try {
    refuseUnlessRegular(path, fstatSync(fd), maxBytes);
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw tooBig(path, maxBytes);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/** The same, without blocking the event loop. */
export async function readRegularFile(path: string, maxBytes: number = maxRackBytes()): Promise<string> {
  const handle = await open(path, FLAGS);
  try {
    refuseUnlessRegular(path, await handle.stat(), maxBytes);
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooBig(path, maxBytes);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}

export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Where `path` really is (symbolic links resolved), provided that lies inside one of `roots`
 * (also resolved). A `source: ../rack/id_ed25519` or a link pointing out of the tree is refused:
 * rack.yaml is root on every Pi, and a file it names is pushed to all of them.
 */
export function confinedPath(path: string, roots: readonly string[]): string {
  const real = realpathSync(resolve(path));
  const realRoots = roots.flatMap((root) => {
    try {
      return [realpathSync(root)];
    } catch {
      return [];
    }
  });
  if (realRoots.some((root) => isInside(root, real))) return real;
  const shown = real === resolve(path) ? real : `${path} (which resolves to ${real})`;
  throw new ReadRefusedError(
    'EOUTSIDE',
    `${shown} lies outside ${roots.join(', ')}; source: files must be inside rack.yaml's folder (file mode) or the repository (git mode), unless the master allows another folder with --allow-source <dir>`,
  );
}

/** A `readFile` for parseRack: confined to `roots`, regular files only, size-limited. */
export function confinedReader(roots: readonly string[], maxBytes: number = maxRackBytes()): (absPath: string) => string {
  return (absPath) => readRegularFileSync(confinedPath(absPath, roots), maxBytes);
}
