/**
 * The one JSON error shape of the API: `{error: {code, reason, message, hint?}}`. `code` is the
 * catalogue's PIRACK_ERR_HTTP; `reason` is a stable CamelCase word clients can switch on.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';

export type HttpReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'Unavailable'
  | 'Internal';

/** Body of every error response. */
export interface ErrorBody {
  readonly error: { readonly code: 'PIRACK_ERR_HTTP'; readonly reason: HttpReason; readonly message: string; readonly hint?: string };
}

export function errorBody(reason: HttpReason, message: string, hint?: string): ErrorBody {
  return { error: { code: 'PIRACK_ERR_HTTP', reason, message, ...(hint === undefined ? {} : { hint }) } };
}

export function sendError(reply: FastifyReply, status: number, reason: HttpReason, message: string, hint?: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(reason, message, hint));
}

const byStatus: Readonly<Record<number, HttpReason>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  503: 'Unavailable',
};

/** Turns fastify's own errors (validation, body parsing, limits) into the API's shape. */
export function installErrorHandlers(app: FastifyInstance, log: Logger, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.validation) {
      return sendError(reply, 400, 'BadRequest', `invalid request: ${error.message}`, 'Check the request against the API documentation.');
    }
    if (status === 413) {
      return sendError(reply, 413, 'PayloadTooLarge', `request body is larger than ${bodyLimit} bytes`);
    }
    if (status === 415) {
      return sendError(reply, 415, 'UnsupportedMediaType', 'request body must be JSON', 'Send Content-Type: application/json.');
    }
    if (status === 400 && error instanceof SyntaxError) {
      return sendError(reply, 400, 'BadRequest', `request body is not valid JSON: ${error.message}`);
    }
    if (status >= 400 && status < 500) {
      return sendError(reply, status, byStatus[status] ?? 'BadRequest', error.message);
    }
    // Internal details stay in the log; the client only learns that it failed.
    log.error({ err: error, method: request.method, url: request.routeOptions.url }, 'request failed');
    return sendError(reply, 500, 'Internal', 'internal error', 'See the daemon log.');
  });
  // The path is not echoed: whatever a client put in it (a pasted token, markup) stays out of the answer.
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'NotFound', `no such route for ${request.method}`, 'See src/http/README.md for the routes.'));
}
