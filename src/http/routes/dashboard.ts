/**
 * Serves the dashboard: plain HTML, CSS and ES modules from src/http/dashboard, no build step.
 * Files are read once at start-up into memory (a few tens of KB); only known names are served,
 * so no request path ever reaches the file system.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-error.ts';

export const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));

export const TYPES: ReadonlyMap<string, string> = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.svg', 'image/svg+xml'],
  ['.ico', 'image/x-icon'],
]);

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/** Every file of `dir` with a known type, by its URL path; read once, so no request reaches the file system. */
export async function loadFiles(dir: string, types: ReadonlyMap<string, string> = TYPES): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const type = types.get(extname(entry.name));
    if (type === undefined) continue;
    const full = join(entry.parentPath, entry.name);
    files.set(`/${relative(dir, full).split(sep).join('/')}`, { body: await readFile(full), type });
  }
  return files;
}

export async function registerDashboardRoutes(app: FastifyInstance, dir = DASHBOARD_DIR): Promise<void> {
  const files = await loadFiles(dir);
  const index = files.get('/index.html');

  app.get('/', { config: { access: 'public' } }, async (_req, reply) => {
    if (!index)
      return sendError(
        reply,
        'PIRACK_ERR_HTTP_INTERNAL',
        'the dashboard files are missing from this installation',
        'Reinstall PiRack; src/http/dashboard must ship with it.',
      );
    return reply.type(index.type).header('cache-control', 'no-cache').send(index.body);
  });
  app.get('/ui/*', { config: { access: 'public' } }, async (request, reply) => {
    const file = files.get(`/${(request.params as { '*': string })['*']}`);
    if (!file) return reply.callNotFound();
    return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
  });
}
