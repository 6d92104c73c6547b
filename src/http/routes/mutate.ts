/**
 * The write side of `/api/v1`. Every route here is `mutate`: the guard has authenticated the
 * request before its body was even parsed. The facade's OperationResult is the body; its code is
 * the HTTP status.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { ActionTarget, DaemonFacade, OperationResult, PowerOp } from '../../daemon/facade.ts';
import { ID_AND_NAME_PARAMS, ID_PARAM, NAME_PARAM, POWER_BODY, REPLACED_BODY, holdRequestOf, idOf, reconcileRequestOf } from './params.ts';

function reply(r: FastifyReply, result: OperationResult): FastifyReply {
  return r.code(result.code).send(result);
}

export function registerMutationRoutes(app: FastifyInstance, facade: DaemonFacade, log: Logger): void {
  const mutate = { config: { access: 'mutate' as const } };
  const audit = (what: string, result: OperationResult): void => {
    log.info({ op: what, ok: result.ok, code: result.code }, 'operation requested');
  };

  const badRequest = (r: FastifyReply, message: string): FastifyReply => r.code(400).send({ ok: false, code: 400, message });
  app.post('/api/v1/reconcile', mutate, async (req, r) => {
    const asked = reconcileRequestOf(req.body);
    if ('error' in asked) return badRequest(r, asked.error);
    const result = facade.reconcileNow(asked.pis);
    audit(asked.pis ? `reconcile pi ${asked.pis.join(',')}` : 'reconcile', result);
    return reply(r, result);
  });
  app.post('/api/v1/suspend', mutate, async (req, r) => {
    const asked = holdRequestOf(req.body);
    if ('error' in asked) return badRequest(r, asked.error);
    const result = facade.suspend(asked.target, asked.mark);
    audit(`suspend ${asked.target.scope}${'id' in asked.target ? ` ${asked.target.id}` : ''}`, result);
    return reply(r, result);
  });
  app.post('/api/v1/resume', mutate, async (req, r) => {
    const asked = holdRequestOf(req.body);
    if ('error' in asked) return badRequest(r, asked.error);
    const result = facade.resume(asked.target);
    audit(`resume ${asked.target.scope}${'id' in asked.target ? ` ${asked.target.id}` : ''}`, result);
    return reply(r, result);
  });
  app.post('/api/v1/pis/:id/replaced', { ...mutate, schema: { params: ID_PARAM, body: REPLACED_BODY } }, async (req, r) => {
    const { message } = req.body as { message: string };
    const result: OperationResult = facade.recordReplacement?.(idOf(req.params), message) ?? {
      ok: false,
      code: 404,
      message: 'not supported',
    };
    audit(`replaced pi ${idOf(req.params)}`, result);
    return reply(r, result);
  });
  app.post('/api/v1/pis/:id/reboot', { ...mutate, schema: { params: ID_PARAM } }, async (req, r) => {
    const result = await facade.rebootPi(idOf(req.params));
    audit(`reboot pi ${idOf(req.params)}`, result);
    return reply(r, result);
  });
  app.post('/api/v1/stacks/:id/power', { ...mutate, schema: { params: ID_PARAM, body: POWER_BODY } }, async (req, r) => {
    const { op, hard } = req.body as { op: PowerOp; hard?: boolean };
    const result = await facade.power({ scope: 'stack', id: idOf(req.params) }, op, { hard: hard === true });
    audit(`power ${op} stack ${idOf(req.params)}`, result);
    return reply(r, result);
  });
  app.post('/api/v1/rack/power', { ...mutate, schema: { body: POWER_BODY } }, async (req, r) => {
    const { op, hard } = req.body as { op: PowerOp; hard?: boolean };
    const result = await facade.power({ scope: 'rack' }, op, { hard: hard === true });
    audit(`power ${op} rack`, result);
    return reply(r, result);
  });
  app.post('/api/v1/rack/enlist', mutate, async (_req, r) => {
    const result = facade.enlist();
    audit('enlist', result);
    return reply(r, result);
  });
  app.post('/api/v1/stacks/:id/power/confirm', { ...mutate, schema: { params: ID_PARAM } }, async (req, r) => {
    const result = facade.confirmManualPower(idOf(req.params));
    audit(`confirm manual power stack ${idOf(req.params)}`, result);
    return reply(r, result);
  });

  const runAction = async (target: ActionTarget, name: string, r: FastifyReply): Promise<FastifyReply> => {
    const result = await facade.runAction(target, name);
    audit(`action ${name} on ${target.scope === 'rack' ? 'rack' : `${target.scope} ${target.id}`}`, result);
    return reply(r, result);
  };
  app.post('/api/v1/pis/:id/actions/:name', { ...mutate, schema: { params: ID_AND_NAME_PARAMS } }, async (req, r) => {
    const { name } = req.params as { name: string };
    return runAction({ scope: 'pi', id: idOf(req.params) }, name, r);
  });
  app.post('/api/v1/stacks/:id/actions/:name', { ...mutate, schema: { params: ID_AND_NAME_PARAMS } }, async (req, r) => {
    const { name } = req.params as { name: string };
    return runAction({ scope: 'stack', id: idOf(req.params) }, name, r);
  });
  app.post('/api/v1/rack/actions/:name', { ...mutate, schema: { params: NAME_PARAM } }, async (req, r) => {
    const { name } = req.params as { name: string };
    return runAction({ scope: 'rack' }, name, r);
  });
}
