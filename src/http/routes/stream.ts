/**
 * `/api/v1/events/stream`: every new RackEvent (`event: rack`, id = seq, so a reconnecting
 * EventSource resumes where it left off) and the StatusReport (`event: status`) when it changes,
 * plus heartbeat comments. A client that cannot keep up is disconnected rather than buffered
 * without bound; it reconnects and resumes from its last id.
 *
 * Streams are capped per address and in total, in two separate pools: authenticated streams (the
 * dashboard after login, scripts with the token) never compete with unauthenticated ones, so
 * anyone who can reach the port cannot lock the operator's dashboard out by opening streams.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DaemonFacade } from '../../daemon/facade.ts';
import type { RackEvent } from '../../model/status.ts';
import type { Authenticator } from '../auth/guard.ts';
import { sendError } from '../http-error.ts';
import type { RefusalLog } from '../refusal-log.ts';
import { SECURITY_HEADERS } from '../security-headers.ts';
import { resumeAfter, sseComment, sseEvent } from '../sse.ts';

export interface StreamOptions {
  /** How often the status is checked for a new pass. */
  readonly statusPollMs: number;
  /** The status is sent at least this often even when unchanged. */
  readonly statusRefreshMs: number;
  readonly heartbeatMs: number;
  /** Unauthenticated streams open at once, from all addresses together. */
  readonly maxClients: number;
  /** Authenticated streams open at once; a pool of their own. */
  readonly maxAuthenticatedClients: number;
  /** Streams one address may hold in each pool. */
  readonly maxPerAddress: number;
  /** Bytes queued for one slow client before it is cut off. */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  statusPollMs: 1000,
  statusRefreshMs: 5000,
  heartbeatMs: 15_000,
  maxClients: 64,
  maxAuthenticatedClients: 64,
  maxPerAddress: 8,
  maxBufferedBytes: 1 << 20,
};

/** Open streams of one pool, counted per address. */
class StreamPool {
  readonly perAddress = new Map<string, number>();
  size = 0;
  constructor(
    readonly max: number,
    readonly maxPerAddress: number,
  ) {}

  refusal(ip: string): string | undefined {
    if ((this.perAddress.get(ip) ?? 0) >= this.maxPerAddress) return `at most ${this.maxPerAddress} event streams per address`;
    if (this.size >= this.max) return 'too many event streams open';
    return undefined;
  }

  add(ip: string): () => void {
    this.size += 1;
    this.perAddress.set(ip, (this.perAddress.get(ip) ?? 0) + 1);
    return () => {
      this.size -= 1;
      const left = (this.perAddress.get(ip) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(ip);
      else this.perAddress.set(ip, left);
    };
  }
}

export interface StreamDeps {
  readonly facade: DaemonFacade;
  readonly log: Logger;
  readonly authenticator: Authenticator;
  readonly refusals: RefusalLog;
}

export function registerStreamRoute(app: FastifyInstance, deps: StreamDeps, o: StreamOptions): void {
  const { facade, log } = deps;
  const open = new Set<() => void>();
  const pools = {
    anonymous: new StreamPool(o.maxClients, o.maxPerAddress),
    authenticated: new StreamPool(o.maxAuthenticatedClients, o.maxPerAddress),
  };
  // Streams never end by themselves; without this, closing the server would wait on them forever.
  app.addHook('onClose', async () => {
    for (const close of [...open]) close();
  });

  // No HEAD twin: it would open a stream that sends nothing and never ends.
  app.get('/api/v1/events/stream', { config: { access: 'read' }, exposeHeadRoute: false }, (request, reply) => {
    const pool = deps.authenticator.identify(request) === null ? pools.anonymous : pools.authenticated;
    const refusal = pool.refusal(request.ip);
    if (refusal !== undefined) {
      deps.refusals.refused(request.ip, { url: '/api/v1/events/stream' }, 'event stream refused');
      return sendError(
        reply,
        'PIRACK_ERR_HTTP_UNAVAILABLE',
        refusal,
        'Close other dashboard tabs or try again later; logged-in streams have a pool of their own.',
      );
    }
    const release = pool.add(request.ip);
    const after = resumeAfter(request.headers['last-event-id'], (request.query as Record<string, unknown>).after);
    reply.hijack();
    const res: ServerResponse = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });

    let lastSeq = after ?? -1;
    let lastStatusAt = '';
    let lastStatusSentMs = 0;
    let closed = false;

    const write = (chunk: string): void => {
      if (closed) return;
      res.write(chunk);
      if (res.writableLength > o.maxBufferedBytes) {
        log.warn({ ip: request.ip }, 'event stream client too slow; disconnected');
        close();
      }
    };
    const sendEvent = (event: RackEvent): void => {
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      write(sseEvent('rack', event, event.seq));
    };
    const sendStatus = (force: boolean): void => {
      const status = facade.status();
      const now = Date.now();
      if (!force && status.generatedAt === lastStatusAt && now - lastStatusSentMs < o.statusRefreshMs) return;
      lastStatusAt = status.generatedAt;
      lastStatusSentMs = now;
      write(sseEvent('status', status));
    };

    // Subscribe before reading the backlog: an event in between is then sent once (seq guard), not lost.
    let statusSoon: NodeJS.Timeout | undefined;
    const unsubscribe = facade.subscribe((event) => {
      sendEvent(event);
      // An event usually ends a step of a pass; look for a new status shortly after.
      statusSoon ??= setTimeout(() => {
        statusSoon = undefined;
        sendStatus(false);
      }, 100);
    });
    write('retry: 3000\n\n');
    for (const event of facade.events(after)) sendEvent(event);
    sendStatus(true);
    const poll = setInterval(() => sendStatus(false), o.statusPollMs);
    const heartbeat = setInterval(() => write(sseComment('heartbeat')), o.heartbeatMs);

    function close(): void {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(poll);
      clearInterval(heartbeat);
      if (statusSoon) clearTimeout(statusSoon);
      open.delete(close);
      release();
      res.end();
    }
    open.add(close);
    request.raw.on('close', close);
    res.on('error', close);
    return undefined;
  });
}
