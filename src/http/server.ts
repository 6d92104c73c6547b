/**
 * The daemon's HTTP server: API, original-compatible API, metrics, event stream and dashboard.
 * The daemon calls `.listen({host, port})` on the result itself (default 127.0.0.1:8080).
 */
import cookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DaemonFacade } from '../daemon/facade.ts';
import { createFailureLimiter, DEFAULT_FAILURE_LIMIT } from './auth/failure-limit.ts';
import { createAuthenticator, installGuard, type ReadAccess } from './auth/guard.ts';
import { createSessionStore } from './auth/sessions.ts';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandlers, refuseTunnels, sendError } from './http-error.ts';
import { jsonDepth, MAX_JSON_DEPTH } from './json-depth.ts';
import { resolveLimits, type HttpLimits } from './limits.ts';
import { registerCors } from './cors.ts';
import { installLegacyErrorShape } from './legacy/error-shape.ts';
import { createRackMetrics } from './metrics.ts';
import { createRefusalLog } from './refusal-log.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerLegacyClientRoutes } from './routes/legacy-client.ts';
import { registerLegacyRoutes } from './routes/legacy.ts';
import { registerMutationRoutes } from './routes/mutate.ts';
import { registerReadRoutes } from './routes/read.ts';
import { registerRunRoutes } from './routes/runs.ts';
import { DEFAULT_STREAM_OPTIONS, registerStreamRoute, type StreamOptions } from './routes/stream.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

/** How requests prove themselves. The token comes from `ensureAdminToken()`. */
export interface AuthOptions {
  readonly adminToken: string;
  /** Browser session lifetime; default 12 h. */
  readonly sessionTtlMs?: number;
  /**
   * Wrong tokens (bearer or login) per client address and window before they are answered 429;
   * default 10 a minute. The right token is never refused.
   */
  readonly failureLimit?: { readonly max: number; readonly windowMs: number };
  /** Sets the cookie's Secure flag; only when served over HTTPS (a reverse proxy). Default false. */
  readonly secureCookie?: boolean;
  /** Clock of sessions, the failure limit and log sampling, for tests. */
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
  /**
   * The reverse proxies whose X-Forwarded-For/-Host/-Proto are believed (addresses or CIDRs, or
   * fastify's `true` for any); default none. Client addresses, which the failure limit, the stream
   * caps and the logs key on, come from there.
   */
  readonly trustProxy?: boolean | string | readonly string[];
  /** Timeouts; defaults in limits.ts. */
  readonly limits?: Partial<HttpLimits>;
  /** A legacy client's static files to serve under /legacy/ (`pirack daemon --legacy-client`); default none. */
  readonly legacyClientDir?: string;
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
  const limits = resolveLimits(options.limits);
  const now = options.auth.now ?? Date.now;
  const refusals = createRefusalLog(log, { now });
  const trustProxy = options.trustProxy ?? false;
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit,
    trustProxy: typeof trustProxy === 'object' ? [...trustProxy] : trustProxy,
    // requireHostHeader off: Node would answer a missing Host with a bare 400; the hook below does it in the JSON shape.
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      requireHostHeader: false,
    },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Requests Node or the router cannot make sense of are answered in the API's JSON shape too.
    clientErrorHandler: clientErrorHandler((code, socket) =>
      refusals.refused(socket.remoteAddress ?? 'unknown', { code }, 'malformed request refused'),
    ),
    frameworkErrors: frameworkErrorHandler,
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
    if (jsonDepth(body as string, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      return done(Object.assign(new Error(`request body is nested deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 }), undefined);
    }
    return defaultJson(request, body as string, done);
  });

  installErrorHandlers(app, log, bodyLimit);
  refuseTunnels(app.server);
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      return sendError(reply, 'PIRACK_ERR_HTTP_BAD_REQUEST', 'an HTTP/1.1 request needs a Host header');
    }
    return undefined;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  await app.register(cookie);
  app.addHook('onClose', async () => refusals.flush());
  // Before the guard: a preflight carries no credentials, and a 401 must carry CORS headers to be readable.
  await registerCors(app, () => options.facade.httpSettings()?.cors);
  installLegacyErrorShape(app);

  const sessionTtlMs = options.auth.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const sessions = createSessionStore({ ttlMs: sessionTtlMs, now });
  const authenticator = createAuthenticator(options.auth.adminToken, sessions);
  const failures = createFailureLimiter({ ...(options.auth.failureLimit ?? DEFAULT_FAILURE_LIMIT), now });
  installGuard(app, authenticator, { readAccess: options.readAccess, failures, refusals });

  registerAuthRoutes(app, {
    adminToken: options.auth.adminToken,
    sessions,
    authenticator,
    readAccess: options.readAccess,
    sessionTtlMs,
    secureCookie: options.auth.secureCookie ?? false,
    failures,
    refusals,
    log,
  });

  const metrics = createRackMetrics(options.facade);
  app.get('/healthz', { config: { access: 'public' } }, async () => ({ ok: true }));
  app.get('/metrics', { config: { access: 'read' } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.render()),
  );

  registerReadRoutes(app, options.facade);
  registerMutationRoutes(app, options.facade, log);
  registerRunRoutes(app, options.facade);
  registerLegacyRoutes(app, options.facade, { idleTimeoutMs: limits.idleTimeoutMs });
  if (options.legacyClientDir !== undefined) await registerLegacyClientRoutes(app, options.legacyClientDir);
  registerStreamRoute(app, { facade: options.facade, log, authenticator, refusals }, { ...DEFAULT_STREAM_OPTIONS, ...options.stream });
  await registerDashboardRoutes(app);
  return app;
}
