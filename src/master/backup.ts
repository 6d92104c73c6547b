/**
 * `pirack master backup` / `restore`: the state dir (pinned host keys, MAC bindings, the last good
 * revision, the admin token, the daemon's key pair, power overrides) in one JSON file, which is how
 * a dead master is replaced. The archive holds secrets: it is written 0600.
 *
 * Restore refuses while a daemon holds the state dir's lock, checks the whole archive before it
 * writes anything, and never deletes: the state dir it replaces is moved aside beside it.
 */
import { chmod, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { pirackError } from '../errors.ts';
import { lockStateDir, STATE_LOCK_FILE } from '../daemon/state-lock.ts';
import { DAEMON_FILE } from '../daemon/daemon-file.ts';
import { writeFileAtomic } from '../state/atomic.ts';

export const BACKUP_FORMAT = 'pirack-state-backup';

/** Runtime files of a running daemon: meaningless on another master. */
const SKIPPED = new Set([STATE_LOCK_FILE, DAEMON_FILE]);

interface BackupFile {
  readonly path: string;
  readonly mode: number;
  readonly base64: string;
}

export interface Backup {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: 1;
  readonly createdAt: string;
  readonly files: readonly BackupFile[];
}

async function collect(root: string, rel: string, out: BackupFile[]): Promise<void> {
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (SKIPPED.has(path) || entry.name.startsWith('.pirack.')) continue;
    if (entry.isDirectory()) await collect(root, path, out);
    else if (entry.isFile()) {
      const st = await lstat(join(root, path));
      out.push({ path, mode: st.mode & 0o777, base64: (await readFile(join(root, path))).toString('base64') });
    }
  }
}

export async function backupStateDir(stateDir: string, file: string, now: Date = new Date()): Promise<{ files: number }> {
  const files: BackupFile[] = [];
  try {
    await collect(stateDir, '', files);
  } catch (err) {
    throw pirackError('PIRACK_ERR_BACKUP', `cannot read the state dir: ${(err as Error).message}`, { where: stateDir, cause: err });
  }
  if (files.length === 0) throw pirackError('PIRACK_ERR_BACKUP', 'the state dir holds nothing to back up', { where: stateDir });
  const backup: Backup = { format: BACKUP_FORMAT, version: 1, createdAt: now.toISOString(), files };
  await writeFileAtomic(file, `${JSON.stringify(backup)}\n`, { mode: 0o600 });
  return { files: files.length };
}

/** A path inside the state dir, or undefined for anything that would land outside it. */
function safeRelative(path: unknown): string | undefined {
  if (typeof path !== 'string' || path === '' || path.includes('\0') || path.startsWith('/')) return undefined;
  const n = normalize(path);
  if (n.startsWith('..') || n.split(sep).includes('..')) return undefined;
  return n;
}

export function parseBackup(text: string, where: string): Backup {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw pirackError('PIRACK_ERR_BACKUP', `not a PiRack state backup (not JSON: ${(err as Error).message})`, { where, cause: err });
  }
  const b = value as Partial<Backup>;
  if (b?.format !== BACKUP_FORMAT || b.version !== 1 || !Array.isArray(b.files)) {
    throw pirackError('PIRACK_ERR_BACKUP', `not a PiRack state backup (format "${String(b?.format)}", version ${String(b?.version)})`, {
      where,
    });
  }
  for (const f of b.files) {
    const ok =
      safeRelative(f?.path) !== undefined &&
      !SKIPPED.has(f.path) &&
      Number.isInteger(f.mode) &&
      f.mode >= 0 &&
      f.mode <= 0o777 &&
      typeof f.base64 === 'string';
    if (!ok) throw pirackError('PIRACK_ERR_BACKUP', `the backup has a bad entry: ${JSON.stringify(f?.path)}`, { where });
  }
  return b as Backup;
}

export interface RestoreResult {
  readonly files: number;
  /** Where the state dir that was replaced went, when there was one. */
  readonly movedAside?: string;
}

export async function restoreStateDir(stateDir: string, file: string, now: Date = new Date()): Promise<RestoreResult> {
  const text = await readFile(file, 'utf8').catch((err: Error) => {
    throw pirackError('PIRACK_ERR_BACKUP', `cannot read the backup: ${err.message}`, { where: file, cause: err });
  });
  const backup = parseBackup(text, file);
  // Held through the swap: no daemon starts on the old dir meanwhile; refused while one runs.
  const lock = lockStateDir(stateDir);
  const staging = `${stateDir}.restoring`;
  try {
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true, mode: 0o700 });
    for (const f of backup.files) {
      const target = join(staging, safeRelative(f.path)!);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await writeFile(target, Buffer.from(f.base64, 'base64'), { mode: f.mode });
      await chmod(target, f.mode);
    }
    const aside = `${stateDir}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
    await rename(stateDir, aside);
    await rename(staging, stateDir);
    return { files: backup.files.length, movedAside: aside };
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw pirackError('PIRACK_ERR_BACKUP', `restore failed: ${(err as Error).message}`, { where: stateDir, cause: err });
  } finally {
    lock.release();
  }
}
