/**
 * Who may do what. Every route declares `config.access`:
 * - `public`: health, login, the dashboard's files;
 * - `read`: GETs, public or authenticated as the daemon is configured;
 * - `private`: always authenticated, by bearer token or session cookie (a read that costs the
 *   daemon work, such as the plan);
 * - `mutate`: always authenticated; with a cookie only from the daemon's own origin;
 * - `token`: the bearer token only (a mutation behind a GET, which a same-site page could trigger
 *   with the cookie riding along).
 * A route that forgets to declare is treated as `mutate`: the safe mistake.
 *
 * The check runs in `onRequest`, before the body is parsed, so an unauthenticated request never
 * reaches validation or the daemon. Wrong bearer tokens are counted per address (failure-limit.ts)
 * and refusals are logged sampled (refusal-log.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendError } from '../http-error.ts';
import type { RefusalLog } from '../refusal-log.ts';
import { tokensEqual } from './compare.ts';
import type { FailureLimiter } from './failure-limit.ts';
import type { SessionStore } from './sessions.ts';

export type Access = 'public' | 'read' | 'private' | 'mutate' | 'token';
export type ReadAccess = 'public' | 'authenticated';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

export const SESSION_COOKIE = 'pirack_session';

/** How a request proved itself: the right bearer token, a live session cookie, a wrong bearer token, or nothing. */
export type Identity = 'bearer' | 'cookie' | 'wrong-token' | null;

export interface Authenticator {
  /** How the request proved itself, or null. A wrong bearer token counts as nothing here. */
  identify(request: FastifyRequest): 'bearer' | 'cookie' | null;
  /** Like identify, but tells a wrong bearer token apart from none, for the failure count. */
  inspect(request: FastifyRequest): Identity;
}

export function createAuthenticator(adminToken: string, sessions: SessionStore): Authenticator {
  const inspect = (request: FastifyRequest): Identity => {
    const header = request.headers.authorization;
    if (typeof header === 'string' && header.startsWith('Bearer ')) {
      return tokensEqual(header.slice('Bearer '.length).trim(), adminToken) ? 'bearer' : 'wrong-token';
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (typeof cookie === 'string' && cookie !== '' && sessions.isValid(cookie)) return 'cookie';
    return null;
  };
  return {
    inspect,
    identify(request) {
      const how = inspect(request);
      return how === 'wrong-token' ? null : how;
    },
  };
}

/** The host (with port) of an Origin or Referer value, normalised; undefined when it is no URL. */
function hostOf(value: string): { host: string; protocol: string } | undefined {
  try {
    const url = new URL(value);
    return url.host === '' ? undefined : { host: url.host, protocol: url.protocol };
  } catch {
    return undefined;
  }
}

/**
 * Whether a cookie-carrying mutation comes from the daemon's own pages. Browsers send Origin on
 * every fetch POST; a Referer (same-origin only, by the dashboard's Referrer-Policy) stands in
 * when a privacy setting strips Origin. Neither, `Origin: null` or another host: refused.
 */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  const referer = request.headers.referer;
  const claimed = typeof origin === 'string' ? origin : typeof referer === 'string' ? referer : undefined;
  if (claimed === undefined || claimed === 'null') return false;
  const from = hostOf(claimed);
  if (!from) return false;
  // Parsing the Host (or a trusted proxy's X-Forwarded-Host) the same way drops a default port on
  // both sides (":80" vs none).
  const own = hostOf(`${from.protocol}//${request.host}`);
  return own !== undefined && from.host === own.host;
}

export interface GuardOptions {
  readonly readAccess: ReadAccess;
  readonly failures: FailureLimiter;
  readonly refusals: RefusalLog;
}

export function installGuard(app: FastifyInstance, auth: Authenticator, o: GuardOptions): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return;
    // Preflights never carry credentials; the CORS hook has answered them already, or the OPTIONS route answers 404.
    if (request.method === 'OPTIONS') return;
    const access = request.routeOptions.config.access ?? 'mutate';
    if (access === 'public' || (access === 'read' && o.readAccess === 'public')) return;
    const where = { method: request.method, url: request.routeOptions.url };
    const how = auth.inspect(request);
    if (how === 'wrong-token') {
      // The right token is checked first and always passes: only failures are ever limited.
      if (o.failures.limited(request.ip)) {
        o.refusals.refused(request.ip, where, 'wrong bearer token refused: too many failures');
        return sendError(reply, 'PIRACK_ERR_HTTP_RATE_LIMITED', 'too many wrong tokens from this address; try again in a minute');
      }
      o.failures.fail(request.ip);
    }
    if (how === null || how === 'wrong-token') {
      o.refusals.refused(request.ip, where, 'unauthenticated request refused');
      return sendError(reply, 'PIRACK_ERR_HTTP_UNAUTHORIZED', 'authentication required');
    }
    if (how === 'cookie' && access === 'token') {
      o.refusals.refused(request.ip, where, 'cookie on a bearer-only route refused');
      return sendError(
        reply,
        'PIRACK_ERR_HTTP_UNAUTHORIZED',
        'this route accepts the bearer token only, not a session cookie',
        'Send Authorization: Bearer <admin token>.',
      );
    }
    if (how === 'cookie' && access === 'mutate' && !sameOrigin(request)) {
      o.refusals.refused(request.ip, { ...where, origin: request.headers.origin }, 'cross-origin mutation refused');
      return sendError(reply, 'PIRACK_ERR_HTTP_FORBIDDEN', 'cookie-authenticated changes need a same-origin Origin or Referer header');
    }
    return undefined;
  });
}
