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
import { createPowerPort } from './power-port.ts';

export interface ServeOptions {
  readonly source: DesiredSource;
  readonly stateDir: string;
  readonly log: Logger;
  readonly http?: {
    readonly host: string;
    readonly port: number;
    readonly readAccess: 'public' | 'authenticated';
    readonly adminTokenFile?: string;
    /** The session cookie's Secure flag: set it when a TLS reverse proxy serves the dashboard. */
    readonly secureCookie?: boolean;
    /** Reverse proxies (addresses or CIDRs) whose X-Forwarded-* headers are believed. */
    readonly trustProxy?: readonly string[];
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
  const { log, stateDir, source } = options;
  const daemon = new Daemon({ stateDir, log, power: (runtime) => createPowerPort(runtime, { log, stateDir }) });
  await daemon.resumeLastGood();
  await source.start((rev) => void daemon.offer(rev));
  let server: FastifyInstance | undefined;
  let token: AdminToken | undefined;
  let url: string | undefined;
  if (options.http) {
    const { host, port, readAccess, adminTokenFile, secureCookie, trustProxy } = options.http;
    token = await ensureAdminToken({ stateDir, ...(adminTokenFile ? { tokenFile: adminTokenFile } : {}) });
    server = await createHttpServer({
      facade: daemon,
      log: log.child({ component: 'http' }),
      auth: { adminToken: token.token, secureCookie: secureCookie ?? false },
      readAccess,
      stateDir,
      ...(trustProxy && trustProxy.length > 0 ? { trustProxy } : {}),
    });
    await server.listen({ host, port });
    url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  }
  return {
    daemon,
    ...(url ? { url } : {}),
    ...(token ? { token } : {}),
    async stop() {
      log.info('stopping: cancelling running commands; relays are left as they are');
      await source.stop();
      await server?.close();
      await daemon.close();
    },
  };
}
