/**
 * Starts a daemon: the desired-state source feeding it, power, and the HTTP API and dashboard.
 * Shared by `pirack daemon` and `pirack demo`; the caller decides when to stop.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ensureAdminToken, type AdminToken } from '../http/auth/admin-token.ts';
import { createHttpServer } from '../http/server.ts';
import type { DesiredSource } from '../source/types.ts';
import { Daemon } from './daemon.ts';
import { removeDaemonRecord, writeDaemonRecord } from './daemon-file.ts';
import { lockStateDir } from './state-lock.ts';

export interface ServeOptions {
  readonly source: DesiredSource;
  readonly stateDir: string;
  readonly log: Logger;
  /** The watch stream (default on); `--no-watch-stream` turns it off. */
  readonly watchStream?: boolean;
  readonly http?: {
    readonly host: string;
    readonly port: number;
    readonly readAccess: 'public' | 'authenticated';
    readonly adminTokenFile?: string;
    /** The session cookie's Secure flag: set it when a TLS reverse proxy serves the dashboard. */
    readonly secureCookie?: boolean;
    /** Reverse proxies (addresses or CIDRs) whose X-Forwarded-* headers are believed. */
    readonly trustProxy?: readonly string[];
    /** A legacy client's static files, served under /legacy/. */
    readonly legacyClientDir?: string;
  };
}

export interface RunningDaemon {
  readonly daemon: Daemon;
  /** Where the API listens, when it does. */
  readonly url?: string;
  readonly token?: AdminToken;
  stop(): Promise<void>;
}

export async function serveDaemon(options: ServeOptions): Promise<RunningDaemon> {
  const { stateDir } = options;
  // Before anything reads or writes the state dir: two daemons on one rack fight over its relays.
  const lock = lockStateDir(stateDir);
  try {
    return await startLocked(options, () => lock.release());
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startLocked(options: ServeOptions, unlock: () => void): Promise<RunningDaemon> {
  const { log, stateDir, source } = options;
  const daemon = new Daemon({ stateDir, log, ...(options.watchStream === false ? { watchStream: false } : {}) });
  await daemon.resumeLastGood();
  await source.start((rev) => void daemon.offer(rev));
  let server: FastifyInstance | undefined;
  let token: AdminToken | undefined;
  let url: string | undefined;
  if (options.http) {
    const { host, port, readAccess, adminTokenFile, secureCookie, trustProxy, legacyClientDir } = options.http;
    token = await ensureAdminToken({ stateDir, ...(adminTokenFile ? { tokenFile: adminTokenFile } : {}) });
    server = await createHttpServer({
      facade: daemon,
      log: log.child({ component: 'http' }),
      auth: { adminToken: token.token, secureCookie: secureCookie ?? false },
      readAccess,
      stateDir,
      ...(trustProxy && trustProxy.length > 0 ? { trustProxy } : {}),
      ...(legacyClientDir !== undefined ? { legacyClientDir } : {}),
    });
    await server.listen({ host, port });
    const address = server.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`;
    // So `pirack power|enlist|apply` on this machine go through this daemon, not around it.
    await writeDaemonRecord(stateDir, {
      pid: process.pid,
      url,
      startedAt: new Date().toISOString(),
      ...(adminTokenFile ? { tokenFile: adminTokenFile } : {}),
    });
  }
  return {
    daemon,
    ...(url ? { url } : {}),
    ...(token ? { token } : {}),
    async stop() {
      log.info('stopping: cancelling running commands; relays are left as they are');
      await source.stop();
      await server?.close();
      if (server) await removeDaemonRecord(stateDir, process.pid).catch(() => undefined);
      await daemon.close();
      unlock();
    },
  };
}
