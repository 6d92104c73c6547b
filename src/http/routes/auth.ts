/**
 * Login for browsers: the admin token, once, buys an HttpOnly SameSite=Strict session cookie, so
 * the dashboard's scripts never hold the token. Scripts skip this and send a bearer token. Wrong
 * tokens count against the address (failure-limit.ts); the right one always logs in.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { tokensEqual } from '../auth/compare.ts';
import type { FailureLimiter } from '../auth/failure-limit.ts';
import { SESSION_COOKIE, type Authenticator, type ReadAccess } from '../auth/guard.ts';
import type { SessionStore } from '../auth/sessions.ts';
import { sendError } from '../http-error.ts';
import type { RefusalLog } from '../refusal-log.ts';

export interface AuthRouteOptions {
  readonly adminToken: string;
  readonly sessions: SessionStore;
  readonly authenticator: Authenticator;
  readonly readAccess: ReadAccess;
  readonly sessionTtlMs: number;
  readonly secureCookie: boolean;
  /** Wrong tokens per address, shared with the bearer check; the right token is never limited. */
  readonly failures: FailureLimiter;
  readonly refusals: RefusalLog;
  readonly log: Logger;
}

export function registerAuthRoutes(app: FastifyInstance, o: AuthRouteOptions): void {
  app.post(
    '/api/v1/login',
    {
      config: { access: 'public' },
      schema: {
        body: {
          type: 'object',
          required: ['token'],
          additionalProperties: false,
          properties: { token: { type: 'string', minLength: 1, maxLength: 512 } },
        },
      },
    },
    async (request, reply) => {
      const { token } = request.body as { token: string };
      if (!tokensEqual(token.trim(), o.adminToken)) {
        if (o.failures.limited(request.ip)) {
          o.refusals.refused(request.ip, {}, 'login refused: too many wrong tokens');
          return sendError(reply, 'PIRACK_ERR_HTTP_RATE_LIMITED', 'too many wrong tokens from this address; try again in a minute');
        }
        o.failures.fail(request.ip);
        o.refusals.refused(request.ip, {}, 'login failed: wrong token');
        return sendError(
          reply,
          'PIRACK_ERR_HTTP_UNAUTHORIZED',
          'wrong token',
          'Use the admin token printed at first start or stored in the state directory.',
        );
      }
      const session = o.sessions.create();
      o.log.info({ ip: request.ip }, 'login');
      reply.setCookie(SESSION_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        secure: o.secureCookie,
        maxAge: Math.floor(o.sessionTtlMs / 1000),
      });
      return { ok: true, expiresAt: new Date(session.expiresAt).toISOString() };
    },
  );

  // Public on purpose: logging out must work with an expired session too.
  app.post('/api/v1/logout', { config: { access: 'public' } }, async (request, reply) => {
    const id = request.cookies[SESSION_COOKIE];
    if (typeof id === 'string') o.sessions.revoke(id);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: o.secureCookie });
    return { ok: true };
  });

  app.get('/api/v1/session', { config: { access: 'public' } }, async (request) => {
    const how = o.authenticator.identify(request);
    return { authenticated: how !== null, method: how, readAccess: o.readAccess };
  });
}
