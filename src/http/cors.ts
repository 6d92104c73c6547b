/**
 * Opt-in CORS (rack.yaml `http.cors`), so a client served from another origin (the original's
 * AngularJS client) can call the API with the bearer token. Off unless rack.yaml lists origins;
 * read per request, so a new revision applies without a restart. @fastify/cors answers preflights
 * in `onRequest`, before the guard (a preflight never carries credentials). Cookies ride along only
 * with `credentials: true`, which validation refuses together with `*` (owner-rules.ts); a
 * cookie-carrying change from another origin is still refused by the guard's same-origin rule, so
 * cross-origin changes always need the token.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { HttpSpec } from '../model/desired.ts';

export type CorsSettings = NonNullable<HttpSpec['cors']>;

/** The options @fastify/cors gets for one request: `origin: false` when CORS is off. */
export function corsOptionsFor(settings: CorsSettings | undefined) {
  if (!settings) return { origin: false as const };
  return {
    origin: settings.origins.includes('*') ? '*' : [...settings.origins],
    credentials: settings.credentials,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    // Browsers cache a preflight this long: a CORS setting taken back applies to them within a minute.
    maxAge: 60,
    // A bad preflight would otherwise be answered in text/plain, outside the API's JSON shape.
    strictPreflight: false,
  };
}

export async function registerCors(app: FastifyInstance, settings: () => CorsSettings | undefined): Promise<void> {
  await app.register(cors, {
    hook: 'onRequest',
    delegator: (_request, callback) => callback(null, corsOptionsFor(settings())),
  });
}
