/** Shared JSON schemas. Types are not coerced (see server.ts), so ids in paths are matched as digit strings. */

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
  properties: { op: { type: 'string', enum: ['on', 'off', 'cycle', 'clear'] } },
} as const;

export const AFTER_QUERY = {
  type: 'object',
  properties: { after: { type: 'string', pattern: '^[0-9]{1,15}$' } },
} as const;

export function idOf(params: unknown): number {
  return Number((params as { id: string }).id);
}
