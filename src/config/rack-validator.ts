/**
 * The compiled form of schemas/rack.schema.json. Compiling with ajv costs a few hundred ms and
 * loads ajv's whole compiler, so `npm run build` generates standalone validation code once
 * (dist/src/config/rack-validate.cjs, ajv's `standalone` module) and a run from dist/ only
 * requires that file. A run from the sources (a checkout, through tsx) compiles at first use.
 * Both come from the same options below, and test/unit/build/rack-validator.test.ts checks that
 * they agree on valid and broken documents.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, Options, ValidateFunction } from 'ajv';

// createRequire, not `import`: ajv's compiler and the schema load only when compiling, and
// synchronously (the validator is needed by synchronous code).
const require = createRequire(import.meta.url);

/** Written by `npm run build` next to the compiled copy of this module; absent in src/. */
export const GENERATED_VALIDATOR = fileURLToPath(new URL('./rack-validate.cjs', import.meta.url));
/** The build copies schemas/ into dist/ too, so this resolves from src/ and from dist/src/. */
export const SCHEMA_FILE = fileURLToPath(new URL('../../schemas/rack.schema.json', import.meta.url));

const OPTIONS: Options = { allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false };

function newAjv(extra: Options = {}): AjvClass {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
  const ajv = new Ajv({ ...OPTIONS, ...extra });
  ajv.addVocabulary(['x-expect']);
  addFormats(ajv, ['ipv4']);
  return ajv;
}

function schema(): object {
  return require(SCHEMA_FILE) as object;
}

/** Compiles the schema file with ajv now (what a run from the sources does). */
export function compileRackValidator(): ValidateFunction {
  return newAjv().compile(schema());
}

/** The standalone CommonJS module `npm run build` writes to GENERATED_VALIDATOR. */
export function rackValidatorSource(): string {
  const ajv = newAjv({ code: { source: true, esm: false } });
  const standaloneCode = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js').default;
  return standaloneCode(ajv, ajv.compile(schema()));
}

/** The generated validator when this runs from a build, else one compiled from the schema. */
export function loadRackValidator(): ValidateFunction {
  if (existsSync(GENERATED_VALIDATOR)) return require(GENERATED_VALIDATOR) as ValidateFunction;
  return compileRackValidator();
}
