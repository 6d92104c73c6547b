/**
 * How a CLI finds the daemon that owns a state dir: `<stateDir>/daemon.json` holds its pid and
 * where its API listens; the admin token is in the same state dir (src/http/auth/admin-token.ts).
 * Written when the API listens, removed on a clean stop. The record is believed only while its
 * pid holds the state dir's lock (state-lock.ts): a crashed daemon's file, even one whose pid was
 * reused by another process, is stale and ignored, so the CLI then works on its own again.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic.ts';
import { stateLockHolder } from './state-lock.ts';

export const DAEMON_FILE = 'daemon.json';

export interface DaemonRecord {
  readonly pid: number;
  /** Base URL of the API, e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly startedAt: string;
  /** Where the admin token is, when not `<stateDir>/admin-token` (or PIRACK_ADMIN_TOKEN). */
  readonly tokenFile?: string;
}

export async function writeDaemonRecord(stateDir: string, record: DaemonRecord): Promise<void> {
  await writeFileAtomic(join(stateDir, DAEMON_FILE), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export async function removeDaemonRecord(stateDir: string, pid: number): Promise<void> {
  const current = await readDaemonRecord(stateDir, { checkAlive: false });
  if (current?.pid === pid) await rm(join(stateDir, DAEMON_FILE), { force: true });
}

/** The running daemon of `stateDir`, or undefined when none runs (no file, a stale one). */
export async function readDaemonRecord(stateDir: string, options: { checkAlive?: boolean } = {}): Promise<DaemonRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(join(stateDir, DAEMON_FILE), 'utf8')) as DaemonRecord;
    if (typeof record.pid !== 'number' || typeof record.url !== 'string') return undefined;
    if (options.checkAlive !== false && stateLockHolder(stateDir) !== record.pid) return undefined;
    return record;
  } catch {
    return undefined;
  }
}
