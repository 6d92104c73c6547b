/**
 * The daemon's HTTP server: API, original-compatible API, metrics, event stream and dashboard.
 * The daemon calls `.listen({host, port})` on the result itself (default 127.0.0.1:8080).
 */
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DaemonFacade } from '../daemon/facade.ts';
import { createAuthenticator, installGuard, type ReadAccess } from './auth/guard.ts';
import { createSessionStore } from './auth/sessions.ts';
import { errorBody, installErrorHandlers } from './http-error.ts';
import { createRackMetrics } from './metrics.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerLegacyRoutes } from './routes/legacy.ts';
import { registerMutationRoutes } from './routes/mutate.ts';
import { registerReadRoutes } from './routes/read.ts';
import { DEFAULT_STREAM_OPTIONS, registerStreamRoute, type StreamOptions } from './routes/stream.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

/** How requests prove themselves. The token comes from `ensureAdminToken()`. */
export interface AuthOptions {
  readonly adminToken: string;
  /** Browser session lifetime; default 12 h. */
  readonly sessionTtlMs?: number;
  /** Login attempts per client IP and window; default 5 per minute. */
  readonly loginRateLimit?: { readonly max: number; readonly timeWindowMs: number };
  /** Sets the cookie's Secure flag; only when served over HTTPS (a reverse proxy). Default false. */
  readonly secureCookie?: boolean;
  /** Session clock, for tests. */
  readonly now?: () => number;
}

export interface HttpServerOptions {
  readonly facade: DaemonFacade;
  readonly log: Logger;
  readonly auth: AuthOptions;
  /** Whether GETs need authentication too (/healthz and the dashboard's files never do). */
  readonly readAccess: ReadAccess;
  /** The daemon's state dir; the admin token lives there (see ensureAdminToken). */
  readonly stateDir: string;
  /** Largest accepted request body in bytes; default 16 KiB. */
  readonly bodyLimit?: number;
  readonly stream?: Partial<StreamOptions>;
  /** Trust X-Forwarded-For (behind a reverse proxy only); default false. */
  readonly trustProxy?: boolean;
}

export const DEFAULT_BODY_LIMIT = 16 * 1024;
const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Header and field paths pino blanks out, so no credential can reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'token',
  'body.token',
];

export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  // The caller names the component; this child only adds redaction.
  const log = options.log.child({}, { redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    // Types are checked, never coerced, and unknown properties are rejected rather than silently
    // dropped: a client sending {"op": 1} or a misspelt field learns so at once.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    // Two lines per request (scrapes, dashboard files) would drown the reconciler's log; mutations
    // are logged by their routes instead.
    logController: new LogController({ disableRequestLogging: true }),
  });

  // An empty body on a POST that takes none is fine (curl -X POST -H 'content-type: application/json').
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  // JSON only: a text/plain body would otherwise reach validation as a string.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    return defaultJson(request, body as string, done);
  });

  installErrorHandlers(app, log, bodyLimit);
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      ...errorBody('TooManyRequests', `too many attempts; retry in ${context.after}`),
    }),
  });

  const sessionTtlMs = options.auth.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const sessions = createSessionStore({ ttlMs: sessionTtlMs, ...(options.auth.now ? { now: options.auth.now } : {}) });
  const authenticator = createAuthenticator(options.auth.adminToken, sessions);
  installGuard(app, authenticator, options.readAccess, log);

  registerAuthRoutes(app, {
    adminToken: options.auth.adminToken,
    sessions,
    authenticator,
    readAccess: options.readAccess,
    sessionTtlMs,
    secureCookie: options.auth.secureCookie ?? false,
    loginRateLimit: options.auth.loginRateLimit ?? { max: 5, timeWindowMs: 60_000 },
    log,
  });

  const metrics = createRackMetrics(options.facade);
  app.get('/healthz', { config: { access: 'public' } }, async () => ({ ok: true }));
  app.get('/metrics', { config: { access: 'read' } }, async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.render()));

  registerReadRoutes(app, options.facade);
  registerMutationRoutes(app, options.facade, log);
  registerLegacyRoutes(app, options.facade);
  registerStreamRoute(app, options.facade, log, { ...DEFAULT_STREAM_OPTIONS, ...options.stream });
  await registerDashboardRoutes(app);
  return app;
}
