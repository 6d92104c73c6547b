/**
 * rack.yaml's JSON Schema, compiled once, and its errors phrased for people. `x-expect` in the
 * schema says what a value must look like; messages name the path and the offending value.
 */
import type { ErrorObject } from 'ajv';
import type { UnplacedProblem } from './problem.ts';
import { fromPointer, humanPath } from './problem.ts';
import { loadRackValidator } from './rack-validator.ts';

const validate = loadRackValidator();

/** Checks the document against the schema; an empty list means it has the right shape. */
export function checkSchema(data: unknown): UnplacedProblem[] {
  return checkSchemaBounded(data, Infinity).problems;
}

/** The same, phrasing at most `limit` errors and counting the rest as `omitted`. */
export function checkSchemaBounded(data: unknown, limit: number): { problems: UnplacedProblem[]; omitted: number } {
  if (validate(data)) return { problems: [], omitted: 0 };
  const errors = relevant(validate.errors ?? []);
  return { problems: errors.slice(0, limit).map(toProblem), omitted: Math.max(0, errors.length - limit) };
}

/**
 * ajv reports, for a failed oneOf, every branch's own failure too; people only need the oneOf.
 * Those branch errors share the instance and sit under the oneOf's schema path.
 */
function relevant(errors: readonly ErrorObject[]): ErrorObject[] {
  const umbrellas = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'propertyNames');
  return errors.filter((e) => {
    if (e.keyword === 'propertyNames') return false;
    return !umbrellas.some(
      (u) => u !== e && u.instancePath === e.instancePath && e.schemaPath.startsWith(u.schemaPath + '/') && u.keyword !== 'propertyNames',
    );
  });
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a mapping';
  return String(value);
}

function expectOf(e: ErrorObject): string | undefined {
  const ps = e.parentSchema as Record<string, unknown> | undefined;
  const x = ps?.['x-expect'];
  return typeof x === 'string' ? x : undefined;
}

function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function toProblem(e: ErrorObject): UnplacedProblem {
  const segments = fromPointer(e.instancePath);
  const where = humanPath(segments);
  const expect = expectOf(e);
  const params = e.params as Record<string, unknown>;
  if (typeof params['propertyName'] === 'string' || (e as { propertyName?: string }).propertyName) {
    const name = (e as { propertyName?: string }).propertyName ?? String(params['propertyName']);
    return {
      segments: [...segments, name],
      atKey: true,
      message: `${where} has a key ${show(name)} that is not ${expect ?? 'allowed'}`,
      hint: 'Rename the key.',
    };
  }
  switch (e.keyword) {
    case 'required': {
      const missing = String(params['missingProperty']);
      return { segments, message: `${where} is missing "${missing}"`, hint: `Add \`${missing}:\` here (see docs/rack-format.md).` };
    }
    case 'additionalProperties': {
      const extra = String(params['additionalProperty']);
      const ps = e.parentSchema as { properties?: Record<string, unknown> } | undefined;
      const allowed = Object.keys(ps?.properties ?? {});
      const guess = didYouMean(extra, allowed);
      const what = expect ? ` (${expect})` : '';
      return {
        segments: [...segments, extra],
        atKey: true,
        message: `${where} has an unknown key "${extra}"${what}`,
        hint: guess ? `Did you mean "${guess}"? Allowed here: ${allowed.join(', ')}.` : `Remove it; allowed here: ${allowed.join(', ')}.`,
      };
    }
    case 'oneOf': {
      // A file entry that is not a mapping at all also fails the oneOf: `in` needs an object.
      const data = e.data !== null && typeof e.data === 'object' ? (e.data as Record<string, unknown>) : {};
      const both = Object.hasOwn(data, 'content') && Object.hasOwn(data, 'source');
      return both
        ? {
            segments,
            message: `${where} has both content and source`,
            hint: 'Keep exactly one: `content:` inline text or `source:` a file path or builtin:<name>.',
          }
        : {
            segments,
            message: `${where} has neither content nor source`,
            hint: 'Add `content:` (inline text) or `source:` (a path relative to rack.yaml, or builtin:<name>).',
          };
    }
    case 'type':
    case 'pattern':
    case 'format':
    case 'enum':
    case 'const': {
      const wanted = expect ?? (e.keyword === 'type' ? `of type ${String(params['type']).replace(',', ' or ')}` : (e.message ?? 'valid'));
      const hint =
        typeof e.data === 'number' && expect?.includes('quotes')
          ? 'YAML read this as a number; write it in quotes, e.g. "0644".'
          : `Write ${wanted}.`;
      return { segments, message: `${where} ${show(e.data)} is not ${wanted}`, hint };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const range =
        expect ?? `${e.keyword === 'minimum' || e.keyword === 'exclusiveMinimum' ? 'at least' : 'at most'} ${String(params['limit'])}`;
      return {
        segments,
        message: `${where} ${show(e.data)} is out of range: it must be ${range}`,
        hint: `Use a value ${range.replace(/^an? /, '')}.`,
      };
    }
    case 'maxLength':
      return {
        segments,
        message: `${where} is too long: at most ${String(params['limit'])} characters${expect ? ` (${expect})` : ''}`,
        hint: 'Shorten it.',
      };
    case 'minItems':
    case 'maxItems': {
      const wanted = expect ?? `${e.keyword === 'minItems' ? 'at least' : 'at most'} ${String(params['limit'])} items`;
      return { segments, message: `${where} must have ${wanted}`, hint: `Write ${wanted}.` };
    }
    default:
      return { segments, message: `${where} ${e.message ?? 'is invalid'}`, hint: 'See docs/rack-format.md for this key.' };
  }
}
