/**
 * The original's client shows an error from `response.data.status` and `response.data.data`.
 * Every `/api/v1.0` error answer (the guard's 401 included, which is sent before any route runs)
 * therefore carries `{"status": code, "data": message}` next to our own `error` object, so such a
 * client says "Status: 401 authentication required" rather than "Status: undefined undefined".
 * Done once in `onSend`, where every answer passes, instead of in each route.
 */
import type { FastifyInstance } from 'fastify';

export const LEGACY_PREFIX = '/api/v1.0/';

/** Adds `status` and `data` to an error body of ours; anything else is returned unchanged. */
export function withLegacyErrorFields(statusCode: number, payload: string): string {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return payload;
  const b = body as { status?: unknown; data?: unknown; error?: { message?: unknown } };
  if (b.status !== undefined && b.data !== undefined) return payload;
  const message = typeof b.error?.message === 'string' ? b.error.message : 'request failed';
  return JSON.stringify({ status: statusCode, data: message, ...b });
}

export function installLegacyErrorShape(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
    if (!request.url.startsWith(LEGACY_PREFIX) && request.url !== LEGACY_PREFIX.slice(0, -1)) return payload;
    const type = reply.getHeader('content-type');
    if (typeof type !== 'string' || !type.startsWith('application/json')) return payload;
    return withLegacyErrorFields(reply.statusCode, payload);
  });
}
