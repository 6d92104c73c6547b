/**
 * The standalone validator `npm run build` generates (ajv's standalone code) must judge rack.yaml
 * exactly like the schema compiled at run time: same verdict, same errors (checkSchema phrases
 * them from ajv's error objects, schema fragments included).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileRackValidator, rackValidatorSource } from '../../../src/config/rack-validator.ts';
import { baseRack } from './fixtures.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUILT = join(ROOT, 'dist/src/config/rack-validate.cjs');

/** Evaluates generated CommonJS with a require that resolves from here (ajv's runtime helpers). */
function load(source: string): ValidateFunction {
  const module = { exports: {} as unknown };
  new Function('module', 'exports', 'require', source)(module, module.exports, createRequire(import.meta.url));
  return module.exports as ValidateFunction;
}

type Doc = Record<string, any>;
const broken: Array<[string, (r: Doc) => void]> = [
  ['unknown top-level key', (r) => (r.frobnicate = 1)],
  ['wrong apiVersion', (r) => (r.apiVersion = 'pirack/v9')],
  ['missing stacks', (r) => delete r.stacks],
  ['ip that is not IPv4', (r) => (r.stacks[0].pis[0].ip = '10.0.0.300')],
  ['both content and source', (r) => (r.defaults.files = [{ path: '/a', content: 'x', source: 'y' }, { path: '/b' }])],
  ['unquoted mode', (r) => (r.defaults.files[0].mode = 644)],
  ['negative grid', (r) => (r.grid.rows = -1)],
  ['string relay pin', (r) => (r.stacks[1].relayPin = 'eighteen')],
  ['misspelt key', (r) => (r.network.subnett = r.network.subnet)],
  ['apt proxy holding a quote and a command', (r) => (r.master = { aptProxy: "http://10.0.0.11:3142'; reboot; '" })],
];

describe('the generated rack validator', () => {
  const compiled = compileRackValidator();
  const generated = load(rackValidatorSource());

  function verdicts(v: ValidateFunction, doc: unknown): { ok: boolean; errors: unknown } {
    const ok = v(doc) as boolean;
    return { ok, errors: v.errors ?? null };
  }

  it('accepts what the compiled schema accepts: the test rack and the committed rack.yaml', () => {
    for (const doc of [baseRack(), parse(readFileSync(join(ROOT, 'rack.yaml'), 'utf8'))]) {
      expect(verdicts(generated, doc)).toEqual({ ok: true, errors: null });
      expect(verdicts(compiled, doc)).toEqual({ ok: true, errors: null });
    }
  });

  it.each(broken)('rejects %s with the same errors as the compiled schema', (_name, mutate) => {
    const doc = baseRack() as unknown as Doc;
    mutate(doc);
    const fromGenerated = verdicts(generated, doc);
    expect(fromGenerated.ok).toBe(false);
    expect(fromGenerated).toEqual(verdicts(compiled, doc));
  });

  // Only a built checkout has dist/ to be stale; `npm run build` regenerates it from the schema.
  it.runIf(existsSync(BUILT))('in dist/ is the one the schema file gives now (rerun `npm run build` if not)', () => {
    expect(readFileSync(BUILT, 'utf8')).toBe(rackValidatorSource());
  });
});
