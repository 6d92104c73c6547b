/**
 * Who may do what. Every route declares `config.access`: `public` (health, login, the dashboard's
 * files), `read` (GETs: public or authenticated as configured), or `mutate` (always authenticated).
 * A route that forgets to declare is treated as `mutate`: the safe mistake.
 *
 * The check runs in `onRequest`, before the body is parsed, so an unauthenticated request never
 * reaches validation or the daemon.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { sendError } from '../http-error.ts';
import { tokensEqual } from './compare.ts';
import type { SessionStore } from './sessions.ts';

export type Access = 'public' | 'read' | 'mutate';
export type ReadAccess = 'public' | 'authenticated';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

export const SESSION_COOKIE = 'pirack_session';

export interface Authenticator {
  /** How the request proved itself, or null. */
  identify(request: FastifyRequest): 'bearer' | 'cookie' | null;
}

export function createAuthenticator(adminToken: string, sessions: SessionStore): Authenticator {
  return {
    identify(request) {
      const header = request.headers.authorization;
      if (typeof header === 'string' && header.startsWith('Bearer ')) {
        return tokensEqual(header.slice('Bearer '.length).trim(), adminToken) ? 'bearer' : null;
      }
      const cookie = request.cookies[SESSION_COOKIE];
      if (typeof cookie === 'string' && cookie !== '' && sessions.isValid(cookie)) return 'cookie';
      return null;
    },
  };
}

/** Browsers always send Origin on POST; a foreign one means another site is riding the cookie. */
function foreignOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || origin === 'null') return origin === 'null';
  try {
    const from = new URL(origin);
    // Parsing the Host header the same way drops a default port on both sides (":80" vs none).
    return from.host !== new URL(`${from.protocol}//${request.headers.host ?? ''}`).host;
  } catch {
    return true;
  }
}

export function installGuard(app: FastifyInstance, auth: Authenticator, readAccess: ReadAccess, log: Logger): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return;
    const access = request.routeOptions.config.access ?? 'mutate';
    if (access === 'public' || (access === 'read' && readAccess === 'public')) return;
    const how = auth.identify(request);
    if (how === null) {
      log.warn({ method: request.method, url: request.routeOptions.url, ip: request.ip }, 'unauthenticated request refused');
      return sendError(reply, 401, 'Unauthorized', 'authentication required', 'Log in, or send Authorization: Bearer <admin token>.');
    }
    if (how === 'cookie' && access === 'mutate' && foreignOrigin(request)) {
      log.warn({ method: request.method, url: request.routeOptions.url, origin: request.headers.origin }, 'cross-origin mutation refused');
      return sendError(reply, 403, 'Forbidden', 'cross-origin request refused');
    }
    return undefined;
  });
}
