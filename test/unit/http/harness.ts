/** Builds a server around a fake facade with logs captured in memory, for the HTTP unit tests. */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createHttpServer, type HttpServerOptions } from '../../../src/http/server.ts';
import { createFakeFacade, type FakeFacade } from './fake-facade.ts';

export const TOKEN = 'test-admin-token-0123456789abcdefghijklmnopqrstuv';

export interface Harness {
  readonly app: FastifyInstance;
  readonly facade: FakeFacade;
  /** Every log line written so far, raw JSON text. */
  logText(): string;
}

export async function harness(overrides: Partial<HttpServerOptions> = {}): Promise<Harness> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const facade = (overrides.facade as FakeFacade | undefined) ?? createFakeFacade();
  const app = await createHttpServer({
    facade,
    log: pino({ level: 'trace' }, sink),
    auth: { adminToken: TOKEN },
    readAccess: 'public',
    stateDir: '/nonexistent',
    ...overrides,
  });
  return { app, facade, logText: () => lines.join('') };
}

export const bearer = { authorization: `Bearer ${TOKEN}` };
