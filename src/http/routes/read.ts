/** The read side of `/api/v1`: status, stacks, Pis, plan, events and action names, straight from the facade. */
import type { FastifyInstance } from 'fastify';
import type { DaemonFacade } from '../../daemon/facade.ts';
import { sendError } from '../http-error.ts';
import { AFTER_QUERY, ID_PARAM, idOf } from './params.ts';
import { selectLabelled } from '../../model/selector.ts';

/** `?selector=role=worker,zone!=top`: only the Pis whose rack.yaml labels match (src/model/selector.ts). */
const selectorOf = (query: unknown): string | undefined => {
  const value = (query as { selector?: unknown } | undefined)?.selector;
  return typeof value === 'string' ? value : undefined;
};

export function registerReadRoutes(app: FastifyInstance, facade: DaemonFacade): void {
  const read = { config: { access: 'read' as const } };

  app.get('/api/v1/status', read, async () => facade.status());
  app.get('/api/v1/stacks', read, async () => ({ stacks: facade.status().stacks }));
  app.get('/api/v1/stacks/:id', { ...read, schema: { params: ID_PARAM } }, async (request, reply) => {
    const id = idOf(request.params);
    const status = facade.status();
    const stack = status.stacks.find((s) => s.id === id);
    if (!stack) return sendError(reply, 'PIRACK_ERR_HTTP_NOT_FOUND', `no stack ${id}`);
    return { ...stack, pis: status.nodes.filter((n) => n.stack === id) };
  });
  app.get('/api/v1/pis', read, async (request) => {
    const selector = selectorOf(request.query);
    const nodes = facade.status().nodes;
    return { pis: selector === undefined ? nodes : selectLabelled(nodes, selector) };
  });
  app.get('/api/v1/pis/:id', { ...read, schema: { params: ID_PARAM } }, async (request, reply) => {
    const id = idOf(request.params);
    const pi = facade.status().nodes.find((n) => n.id === id);
    if (!pi) return sendError(reply, 'PIRACK_ERR_HTTP_NOT_FOUND', `no Pi ${id}`);
    return pi;
  });
  // From the daemon's cached observations: no probe, no write. `?fresh=1` queues a pass of every
  // key through the loop first, so it needs authentication whatever readAccess says.
  app.get('/api/v1/plan', { config: { access: 'private' } }, async (request) => {
    const fresh = (request.query as { fresh?: string } | undefined)?.fresh;
    const selector = selectorOf(request.query);
    // Checked before planning: a bad selector costs the daemon nothing.
    const ids = selector === undefined ? undefined : new Set(selectLabelled(facade.status().nodes, selector).map((n) => `pi ${n.id}`));
    const plan = await facade.plan(fresh === '1' || fresh === 'true' ? { fresh: true } : {});
    return { plan: ids ? plan.filter((e) => ids.has(e.target)) : plan };
  });
  app.get('/api/v1/events', { ...read, schema: { querystring: AFTER_QUERY } }, async (request) => {
    const after = (request.query as { after?: string }).after;
    return { events: facade.events(after === undefined ? undefined : Number(after)) };
  });
  app.get('/api/v1/actions', read, async () => ({ actions: facade.actionNames() }));
}
