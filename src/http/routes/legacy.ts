/**
 * The original PiRack's `/api/v1.0` endpoints with their JSON shapes (shapes in legacy/shapes.ts).
 * One deliberate difference: the original had no authentication at all; here `execute` and
 * `installation` need it like every other mutation (src/http/README.md); `installation` takes
 * the bearer token only.
 */
import type { FastifyInstance } from 'fastify';
import type { DaemonFacade, OperationResult } from '../../daemon/facade.ts';
import { errorBody, sendError } from '../http-error.ts';
import { httpCodeForStatus } from '../../errors.ts';
import {
  LEGACY_STACK_POWER_ACTIONS,
  legacyExecuteBody,
  legacyRasps,
  legacyStackOptions,
  legacyStacks,
  resolveActionName,
  toLegacyRasp,
  toLegacyStack,
} from '../legacy/shapes.ts';
import { ID_PARAM, idOf } from './params.ts';

// The original's clients may send the id as a number or as a string of digits.
const EXECUTE_BODY = {
  type: 'object',
  required: ['id', 'action'],
  properties: {
    id: {
      anyOf: [
        { type: 'integer', minimum: 0 },
        { type: 'string', pattern: '^[0-9]{1,9}$' },
      ],
    },
    action: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

/** A failed operation also carries our own `error` object, as every other error answer does. */
function errorFor(result: OperationResult): Partial<ReturnType<typeof errorBody>> {
  if (result.ok || result.code < 400) return {};
  return errorBody(httpCodeForStatus(result.code) ?? 'PIRACK_ERR_HTTP_INTERNAL', result.message);
}

const notFound = (message: string): OperationResult => ({ ok: false, code: 404, message });

export function registerLegacyRoutes(app: FastifyInstance, facade: DaemonFacade, o: { readonly idleTimeoutMs: number }): void {
  const read = { config: { access: 'read' as const } };
  const mutate = { config: { access: 'mutate' as const } };

  app.get('/api/v1.0/rasps', read, async () => legacyRasps(facade.status()));
  app.get('/api/v1.0/rasps/options', read, async () => ({ actions: [...facade.actionNames()] }));
  app.get('/api/v1.0/rasps/:id', { ...read, schema: { params: ID_PARAM } }, async (req, reply) => {
    const status = facade.status();
    const node = status.nodes.find((n) => n.id === idOf(req.params));
    if (!node) return sendError(reply, 'PIRACK_ERR_HTTP_NOT_FOUND', `no Pi ${idOf(req.params)}`);
    return toLegacyRasp(
      node,
      status.stacks.find((s) => s.id === node.stack),
    );
  });
  app.post('/api/v1.0/rasps/execute', { ...mutate, schema: { body: EXECUTE_BODY } }, async (req, reply) => {
    const { id, action } = req.body as { id: number | string; action: string };
    const pi = Number(id);
    const name = resolveActionName(action, facade.actionNames());
    let result: OperationResult;
    if (name === undefined) result = notFound(`no action ${action}`);
    // The original's reboot crashed its own slave; the daemon's reboot is the supervised one.
    else if (name.toLowerCase() === 'reboot') result = await facade.rebootPi(pi);
    else result = await facade.runAction({ scope: 'pi', id: pi }, name);
    return reply.code(result.code).send({ ...legacyExecuteBody(result), ...errorFor(result) });
  });

  app.get('/api/v1.0/stacks', read, async () => legacyStacks(facade.status()));
  app.get('/api/v1.0/stacks/options', read, async () => legacyStackOptions(facade.actionNames()));
  app.get('/api/v1.0/stacks/:id', { ...read, schema: { params: ID_PARAM } }, async (req, reply) => {
    const stack = facade.status().stacks.find((s) => s.id === idOf(req.params));
    if (!stack) return sendError(reply, 'PIRACK_ERR_HTTP_NOT_FOUND', `no stack ${idOf(req.params)}`);
    return toLegacyStack(stack);
  });
  app.post('/api/v1.0/stacks/execute', { ...mutate, schema: { body: EXECUTE_BODY } }, async (req, reply) => {
    const { id, action } = req.body as { id: number | string; action: string };
    const stack = Number(id);
    const power = LEGACY_STACK_POWER_ACTIONS.get(action.toLowerCase());
    let result: OperationResult;
    if (power !== undefined) {
      result = await facade.power({ scope: 'stack', id: stack }, power);
    } else {
      const name = resolveActionName(action, facade.actionNames());
      result = name === undefined ? notFound(`no action ${action}`) : await facade.runAction({ scope: 'stack', id: stack }, name);
    }
    return reply.code(result.code).send({ ...legacyExecuteBody(result), ...errorFor(result) });
  });

  // The original ran its whole install flow here and answered with the stacks when it finished;
  // its client shows a progress bar until then. So does this: the enlistment flow of `pirack
  // enlist` (only stacks with missing Pis; enlisted stacks keep their power), and a call while one
  // runs waits for the same one. A mutation behind a GET: any same-site page could trigger it with
  // the cookie riding along (no Origin on a GET), so only the bearer token is accepted.
  app.get('/api/v1.0/installation', { config: { access: 'token' as const } }, async (req, reply) => {
    // Enlisting a stack takes longer than the idle timeout and nothing flows meanwhile.
    const socket = req.raw.socket as { setTimeout?: (ms: number) => unknown; destroyed?: boolean } | undefined;
    socket?.setTimeout?.(0);
    try {
      const result = await facade.install();
      if (!result.ok) return reply.code(result.code).send({ ...legacyExecuteBody(result), ...errorFor(result) });
      return legacyStacks(facade.status());
    } finally {
      if (socket?.destroyed === false) socket.setTimeout?.(o.idleTimeoutMs);
    }
  });
}
