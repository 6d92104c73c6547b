/**
 * Runs of actions and OS upgrades (`/api/v1/runs`): POST starts one on Pis, stacks or the rack
 * (rolling when disruptive) and answers 202 with its first report; GET follows it. Its progress
 * is also told on the event stream (kind `run`), which the dashboard's live view listens to.
 */
import type { FastifyInstance } from 'fastify';
import type { DaemonFacade } from '../../daemon/facade.ts';
import type { RunRequest } from '../../daemon/rolling.ts';
import type { Selector } from '../../daemon/targets.ts';
import { sendError } from '../http-error.ts';

const IDS = { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'integer', minimum: 1, maximum: 9999 } } as const;

export const RUN_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    action: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    upgrade: {
      type: 'object',
      additionalProperties: false,
      properties: { full: { type: 'boolean' }, reboot: { type: 'boolean' } },
    },
    pis: IDS,
    stacks: IDS,
    rack: { type: 'boolean', const: true },
    selector: { type: 'string', minLength: 1, maxLength: 1024 },
    batch: { type: 'integer' },
    maxUnavailable: { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 8 }] },
    continue: { type: 'boolean' },
    readyTimeoutSeconds: { type: 'number' },
    rebootTimeoutSeconds: { type: 'number' },
  },
} as const;

const RUN_ID = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } } } as const;

export interface RunBody {
  readonly action?: string;
  readonly upgrade?: { full?: boolean; reboot?: boolean };
  readonly pis?: number[];
  readonly stacks?: number[];
  readonly rack?: boolean;
  /** A label selector narrowing pis, stacks or rack; alone, the labelled Pis of the whole rack. */
  readonly selector?: string;
  readonly batch?: number;
  readonly maxUnavailable?: number | string;
  readonly continue?: boolean;
  readonly readyTimeoutSeconds?: number;
  readonly rebootTimeoutSeconds?: number;
}

/** The body as a RunRequest, or why it is not one (one of pis, stacks, rack or a selector; an action or an upgrade). */
export function runRequestOf(body: RunBody): RunRequest | string {
  const scopes = [body.pis ? 'pis' : '', body.stacks ? 'stacks' : '', body.rack ? 'rack' : ''].filter(Boolean);
  if (scopes.length > 1 || (scopes.length === 0 && body.selector === undefined))
    return `give one of pis, stacks or rack, or a selector (got ${scopes.length === 0 ? 'none' : scopes.join(' and ')})`;
  if ((body.action === undefined) === (body.upgrade === undefined)) return 'give either action or upgrade';
  const selector: Selector = body.pis
    ? { scope: 'pi', ids: body.pis }
    : body.stacks
      ? { scope: 'stack', ids: body.stacks }
      : { scope: 'rack' };
  return {
    ...(body.action !== undefined ? { action: body.action } : {}),
    ...(body.upgrade !== undefined ? { upgrade: body.upgrade } : {}),
    selector: body.selector !== undefined ? { ...selector, labels: body.selector } : selector,
    controls: {
      ...(body.batch !== undefined ? { batch: body.batch } : {}),
      ...(body.maxUnavailable !== undefined ? { maxUnavailable: body.maxUnavailable } : {}),
      ...(body.continue !== undefined ? { continueOnFailure: body.continue } : {}),
      ...(body.readyTimeoutSeconds !== undefined ? { readyTimeoutMs: body.readyTimeoutSeconds * 1000 } : {}),
      ...(body.rebootTimeoutSeconds !== undefined ? { backTimeoutMs: body.rebootTimeoutSeconds * 1000 } : {}),
    },
  };
}

export function registerRunRoutes(app: FastifyInstance, facade: DaemonFacade): void {
  app.post('/api/v1/runs', { config: { access: 'mutate' as const }, schema: { body: RUN_BODY } }, async (req, r) => {
    if (!facade.startRun) return sendError(r, 'PIRACK_ERR_HTTP_NOT_FOUND', 'this daemon does not run actions');
    const request = runRequestOf(req.body as RunBody);
    if (typeof request === 'string') return sendError(r, 'PIRACK_ERR_HTTP_BAD_REQUEST', request);
    const result = facade.startRun(request);
    req.log.info({ op: `run ${request.action ?? 'upgrade'}`, ok: result.ok, code: result.code }, 'operation requested');
    return r.code(result.code).send(result);
  });
  app.get('/api/v1/runs', { config: { access: 'read' as const } }, async () => ({ runs: facade.listRuns?.() ?? [] }));
  app.get('/api/v1/runs/:id', { config: { access: 'read' as const }, schema: { params: RUN_ID } }, async (req, r) => {
    const run = facade.getRun?.((req.params as { id: string }).id);
    if (!run) return sendError(r, 'PIRACK_ERR_HTTP_NOT_FOUND', `no run ${(req.params as { id: string }).id} (the last 50 are kept)`);
    return run;
  });
}
