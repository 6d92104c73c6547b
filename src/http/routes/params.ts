/** Shared JSON schemas. Types are not coerced (see server.ts), so ids in paths are matched as digit strings. */
import type { HoldTarget } from '../../daemon/facade.ts';

export const ID_PARAM = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9]{1,9}$' } },
} as const;

export const ID_AND_NAME_PARAMS = {
  type: 'object',
  required: ['id', 'name'],
  properties: { id: ID_PARAM.properties.id, name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } },
} as const;

export const NAME_PARAM = {
  type: 'object',
  required: ['name'],
  properties: { name: ID_AND_NAME_PARAMS.properties.name },
} as const;

export const POWER_BODY = {
  type: 'object',
  required: ['op'],
  additionalProperties: false,
  properties: { op: { type: 'string', enum: ['on', 'off', 'cycle', 'clear'] }, hard: { type: 'boolean' } },
} as const;

/** `pirack replace`'s record of what the operator confirmed: one line of text for the event log. */
export const REPLACED_BODY = {
  type: 'object',
  required: ['message'],
  additionalProperties: false,
  properties: { message: { type: 'string', minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } },
} as const;

export const AFTER_QUERY = {
  type: 'object',
  properties: { after: { type: 'string', pattern: '^[0-9]{1,15}$' } },
} as const;

export function idOf(params: unknown): number {
  return Number((params as { id: string }).id);
}

/**
 * The optional body of suspend/resume: `{"stack": 2, "reason": "…", "by": "alice"}`, `{"pi": 7}` or
 * nothing (the rack). Checked by hand rather than by a schema so the dashboard may post no body.
 * `by` is the caller's own word (the API has one admin principal), shown beside the hold.
 */
export function holdRequestOf(body: unknown): { target: HoldTarget; mark: { by: string; reason: string } } | { error: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) return { error: 'the body must be a JSON object such as {"stack":2,"reason":"…"}' };
  const extra = Object.keys(b).filter((k) => !['stack', 'pi', 'reason', 'by'].includes(k));
  if (extra.length > 0) return { error: `unknown field ${extra[0]}: expected stack, pi, reason, by` };
  const id = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined);
  if (b.stack !== undefined && b.pi !== undefined) return { error: 'name a stack or a Pi, not both' };
  if (b.stack !== undefined && id(b.stack) === undefined) return { error: 'stack must be a positive whole number' };
  if (b.pi !== undefined && id(b.pi) === undefined) return { error: 'pi must be a positive whole number' };
  const text = (v: unknown, name: string, max: number): string | { error: string } => {
    if (v === undefined) return '';
    if (typeof v !== 'string' || v.length > max || /[\u0000-\u001f\u007f]/.test(v))
      return { error: `${name} must be text of at most ${max} characters, on one line` };
    return v;
  };
  const reason = text(b.reason, 'reason', 200);
  const by = text(b.by, 'by', 64);
  if (typeof reason !== 'string') return reason;
  if (typeof by !== 'string') return by;
  const target: HoldTarget =
    b.stack !== undefined
      ? { scope: 'stack', id: b.stack as number }
      : b.pi !== undefined
        ? { scope: 'pi', id: b.pi as number }
        : { scope: 'rack' };
  return { target, mark: { by: by || 'the API', reason } };
}

/** The optional body of `POST /api/v1/reconcile`: `{"pis":[1,2]}` or nothing (every key). */
export function reconcileRequestOf(body: unknown): { pis?: number[] } | { error: string } {
  if (body === undefined || body === null) return {};
  const b = body as { pis?: unknown };
  if (typeof b !== 'object' || Array.isArray(b) || Object.keys(b).some((k) => k !== 'pis'))
    return { error: 'the body must be {"pis":[ids]} or empty' };
  if (b.pis === undefined) return {};
  if (
    !Array.isArray(b.pis) ||
    b.pis.length === 0 ||
    b.pis.length > 1000 ||
    !b.pis.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0)
  )
    return { error: 'pis must be a non-empty list of Pi ids' };
  return { pis: b.pis as number[] };
}
