/**
 * The one JSON error shape of the API: `{error: {code, reason, message, hint}}`. `code` is a code
 * of the catalogue (src/errors.ts), which also gives the HTTP status and the `reason`, a stable
 * CamelCase word clients can switch on. Framework errors (bad URLs, unparsable requests, timeouts,
 * smuggling attempts, oversized headers) are answered in the same shape, never with fastify's or
 * Node's own text.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ERRORS, httpCodeForStatus, isPiRackError, type ErrorCode, type HttpErrorCode, type HttpReason } from '../errors.ts';

export type { HttpErrorCode, HttpReason } from '../errors.ts';

/** Body of every error response. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly reason: HttpReason; readonly message: string; readonly hint: string };
}

export function errorBody(code: HttpErrorCode, message: string, hint?: string): ErrorBody {
  return { error: { code, reason: ERRORS[code].reason, message, hint: hint ?? ERRORS[code].hint } };
}

export function sendError(reply: FastifyReply, code: HttpErrorCode, message: string, hint?: string): FastifyReply {
  return reply
    .code(ERRORS[code].status)
    .type('application/json; charset=utf-8')
    .send(errorBody(code, message, hint));
}

/** Turns fastify's own errors (validation, body parsing, limits) and stray exceptions into the API's shape. */
export function installErrorHandlers(app: FastifyInstance, log: Logger, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.validation) return sendError(reply, 'PIRACK_ERR_HTTP_BAD_REQUEST', `invalid request: ${error.message}`);
    if (status === 413) return sendError(reply, 'PIRACK_ERR_HTTP_TOO_LARGE', `request body is larger than ${bodyLimit} bytes`);
    if (status === 415) return sendError(reply, 'PIRACK_ERR_HTTP_MEDIA_TYPE', 'request body must be JSON');
    if (status === 400 && error instanceof SyntaxError)
      return sendError(reply, 'PIRACK_ERR_HTTP_BAD_REQUEST', `request body is not valid JSON: ${error.message}`);
    if (isPiRackError(error)) {
      // A catalogue error carries its own status; its reason is the API code's for that status.
      const reason =
        ERRORS[httpCodeForStatus(error.status) ?? (error.status >= 500 ? 'PIRACK_ERR_HTTP_INTERNAL' : 'PIRACK_ERR_HTTP_BAD_REQUEST')]
          .reason;
      if (error.status >= 500) log.error({ err: error, method: request.method, url: request.routeOptions.url }, 'request failed');
      return reply
        .code(error.status)
        .type('application/json; charset=utf-8')
        .send({ error: { code: error.code, reason, message: error.message, hint: error.hint } });
    }
    if (status >= 400 && status < 500) return sendError(reply, httpCodeForStatus(status) ?? 'PIRACK_ERR_HTTP_BAD_REQUEST', error.message);
    // Internal details stay in the log; the client only learns that it failed.
    log.error({ err: error, method: request.method, url: request.routeOptions.url }, 'request failed');
    return sendError(reply, 'PIRACK_ERR_HTTP_INTERNAL', 'internal error');
  });
  // The path is not echoed: whatever a client put in it (a pasted token, markup) stays out of the answer.
  app.setNotFoundHandler((request, reply) => sendError(reply, 'PIRACK_ERR_HTTP_NOT_FOUND', `no such route for ${request.method}`));
}

/** fastify's `frameworkErrors`: a URL that cannot be decoded or a path parameter over the length limit. */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const what = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is malformed (bad percent-encoding)';
  void sendError(
    reply,
    'PIRACK_ERR_HTTP_BAD_REQUEST',
    `${what}`,
    'Percent-encode the URL correctly; ids are numbers, names at most 64 characters.',
  );
}

/**
 * fastify's `clientErrorHandler`: errors Node's HTTP parser raises before any route runs (request
 * smuggling, malformed request lines, headers too large, request timeouts). The socket is answered
 * in the JSON shape once, then closed; a socket already gone gets nothing.
 */
export function clientErrorHandler(onRefused: (code: HttpErrorCode, socket: Socket) => void) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    let code: HttpErrorCode = 'PIRACK_ERR_HTTP_BAD_REQUEST';
    let message = 'the request cannot be parsed as HTTP/1.1 (malformed, or ambiguous about its length)';
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      code = 'PIRACK_ERR_HTTP_TIMEOUT';
      message = 'the request was not received in time';
    } else if (error.code === 'HPE_HEADER_OVERFLOW') {
      code = 'PIRACK_ERR_HTTP_HEADERS_TOO_LARGE';
      message = 'the request headers are too large';
    }
    onRefused(code, socket);
    answerSocket(socket, code, message);
  };
}

/** Answers a socket outside fastify's request cycle in the JSON shape, then closes it. */
export function answerSocket(socket: Socket, code: HttpErrorCode, message: string): void {
  if (socket.writable) {
    const body = JSON.stringify(errorBody(code, message));
    const status = ERRORS[code].status;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroySoon();
}

/**
 * CONNECT (proxy tunnels) and Upgrade (WebSocket) requests never reach fastify; without a
 * listener Node drops the connection without a word. The API is neither a proxy nor a WebSocket
 * server, so both are refused in the JSON shape.
 */
export function refuseTunnels(server: {
  on(event: 'connect' | 'upgrade', listener: (req: unknown, socket: Socket) => void): unknown;
}): void {
  server.on('connect', (_req, socket) => answerSocket(socket, 'PIRACK_ERR_HTTP_BAD_REQUEST', 'CONNECT is not supported: this is no proxy'));
  server.on('upgrade', (_req, socket) =>
    answerSocket(
      socket,
      'PIRACK_ERR_HTTP_BAD_REQUEST',
      'protocol upgrades are not supported; the event stream is plain HTTP (Server-Sent Events)',
    ),
  );
}
