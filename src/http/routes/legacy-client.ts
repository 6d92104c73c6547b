/**
 * Serves a legacy client's static files (the original's AngularJS client, say) from a directory
 * the user names (`pirack daemon --legacy-client DIR`), under /legacy/. Same origin as the API, so
 * the dashboard's session cookie authorizes its POST mutations and no CORS is needed. Files are
 * read once at start-up like the dashboard's; only known names are served, so no request path
 * reaches the file system. Public like the dashboard's files: the API behind them still asks for
 * authentication.
 */
import type { FastifyInstance } from 'fastify';
import { loadFiles, TYPES } from './dashboard.ts';

export const LEGACY_CLIENT_PREFIX = '/legacy/';

const LEGACY_TYPES: ReadonlyMap<string, string> = new Map([
  ...TYPES,
  ['.htm', 'text/html; charset=utf-8'],
  ['.json', 'application/json; charset=utf-8'],
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.gif', 'image/gif'],
  ['.woff', 'font/woff'],
  ['.woff2', 'font/woff2'],
  ['.ttf', 'font/ttf'],
  ['.map', 'application/json; charset=utf-8'],
]);

/** Loads `dir` (a missing or unreadable one fails the start, with the path) and serves it. */
export async function registerLegacyClientRoutes(app: FastifyInstance, dir: string): Promise<number> {
  const files = await loadFiles(dir, LEGACY_TYPES);
  const send = (path: string, reply: import('fastify').FastifyReply) => {
    const file = files.get(path) ?? (path.endsWith('/') || path === '' ? files.get(`${path.replace(/\/?$/, '/')}index.html`) : undefined);
    if (!file) return reply.callNotFound();
    return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  };
  app.get('/legacy', { config: { access: 'public' } }, async (_req, reply) => reply.redirect(LEGACY_CLIENT_PREFIX));
  app.get(`${LEGACY_CLIENT_PREFIX}*`, { config: { access: 'public' } }, async (request, reply) =>
    send(`/${(request.params as { '*': string })['*']}`, reply),
  );
  return files.size;
}
