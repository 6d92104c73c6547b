/**
 * The CLI's way to a running daemon: when `<stateDir>/daemon.json` names a live daemon, the
 * commands that change the rack (`power`, `enlist`, `apply --once`) ask it through its API
 * instead of driving the relay or the Pis around it (the daemon would switch them straight back).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pirackError } from '../errors.ts';
import { ADMIN_TOKEN_ENV, ADMIN_TOKEN_FILE } from '../http/auth/admin-token.ts';
import { readDaemonRecord, type DaemonRecord } from '../daemon/daemon-file.ts';
import { stateLockHolder } from '../daemon/state-lock.ts';

export interface DaemonClient {
  readonly record: DaemonRecord;
  request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** A long-lived GET (the Server-Sent Events stream), authenticated like `request`. */
  open(path: string, signal?: AbortSignal): Promise<Response>;
}

async function tokenFor(stateDir: string, record: DaemonRecord): Promise<string> {
  if (record.tokenFile) return (await readFile(record.tokenFile, 'utf8')).trim();
  const env = process.env[ADMIN_TOKEN_ENV];
  if (env && env.trim() !== '') return env.trim();
  return (await readFile(join(stateDir, ADMIN_TOKEN_FILE), 'utf8')).trim();
}

/**
 * The daemon running on `stateDir`, or undefined when none does; `token` (a `--token`) instead of
 * the state dir's. A daemon that holds the state dir but serves no API (`--no-http`, or one still
 * starting) cannot be asked: refused, since working around it would make two reconcilers of one rack.
 */
export async function findDaemon(stateDir: string, options: { readonly token?: string } = {}): Promise<DaemonClient | undefined> {
  const record = await readDaemonRecord(stateDir);
  if (!record) {
    const holder = stateLockHolder(stateDir);
    if (holder === undefined) return undefined;
    throw pirackError(
      'PIRACK_ERR_DAEMON_RUNNING',
      `a daemon (pid ${holder}) runs on this state dir without an API to ask (--no-http, or still starting); this command would work around it`,
      { where: stateDir },
    );
  }
  const given = options.token?.trim();
  const token = given
    ? given
    : await tokenFor(stateDir, record).catch((cause: unknown) => {
        throw pirackError(
          'PIRACK_ERR_USAGE',
          `a daemon runs on ${stateDir} (pid ${record.pid}) but its admin token cannot be read: ${(cause as Error).message}; run this as the daemon's user or set ${ADMIN_TOKEN_ENV} (or give --token where the command has it)`,
          { cause },
        );
      });
  return {
    record,
    open: (path, signal) =>
      fetch(new URL(path, record.url), { headers: { authorization: `Bearer ${token}` }, ...(signal ? { signal } : {}) }).catch(
        (cause: unknown) => {
          throw pirackError(
            'PIRACK_ERR_DAEMON_UNREACHABLE',
            `the daemon (pid ${record.pid}) does not answer at ${record.url}: ${(cause as Error).message}`,
            {
              cause,
            },
          );
        },
      ),
    async request<T>(method: 'GET' | 'POST', path: string, body?: unknown) {
      const response = await fetch(new URL(path, record.url), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }).catch((cause: unknown) => {
        throw pirackError(
          'PIRACK_ERR_DAEMON_UNREACHABLE',
          `the daemon (pid ${record.pid}) does not answer at ${record.url}: ${(cause as Error).message}`,
          { cause },
        );
      });
      return { status: response.status, body: (await response.json()) as T };
    },
  };
}
