/**
 * Probe output is whatever a Pi (or something pretending to be one) prints. Garbage into every
 * controller's observe.parse, the system facts parser and the section splitter must end in facts
 * or a PROBE_GARBAGE error with a message: never another exception, never a hang, never an
 * object whose prototype a line replaced.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeControllers } from '../../controllers/index.ts';
import { isPiRackError } from '../../src/errors.ts';
import { parseProbe, splitSections } from '../../src/probe/probe.ts';
import { parseSystemFacts } from '../../src/probe/system.ts';
import { nodeSpec } from '../support/fixtures.ts';
import { FuzzTally, fuzzSeed } from './report.ts';

const seed = fuzzSeed();
const tally = new FuzzTally('probe-parsers', seed);
const HANG_MS = 2000;
afterAll(() => tally.report());

const node = nodeSpec();

function attempt(what: string, output: string, parse: () => unknown): void {
  const started = performance.now();
  try {
    const facts = parse();
    const ms = performance.now() - started;
    if (ms > HANG_MS) {
      tally.hang();
      throw new Error(`${what}: ${ms.toFixed(0)} ms`);
    }
    for (const value of Object.values(facts as object)) {
      if (value && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) {
        tally.crash();
        throw new Error(`${what}: a record's prototype was replaced by ${JSON.stringify(output.slice(0, 120))}`);
      }
    }
    tally.accepted();
  } catch (err) {
    if (isPiRackError(err) && err.code === 'PIRACK_ERR_PROBE_GARBAGE' && err.message.trim() !== '') return tally.clearError();
    if (err instanceof Error && /ms$|prototype/.test(err.message)) throw err;
    tally.crash();
    throw new Error(`${what} crashed on ${JSON.stringify(output.slice(0, 200))}: ${(err as Error).stack}`);
  }
}

/** Lines that look almost right: the parsers' own prefixes with garbage after them. */
const prefix = fc.constantFrom(
  'pkg ',
  'lists',
  'audit ',
  'file ',
  'missing ',
  'unit ',
  'key ',
  'dir ',
  'file 644 root root ',
  'hostname ',
  'uptime ',
  'load ',
  'memtotal ',
  'memavail ',
  'cpu ',
  'temp ',
  'now ',
  'mac ',
  '@@pirack:',
  '@@pirack:end',
  '@@pirack:system',
  '',
);
const junk = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    '__proto__ ii 1.0',
    'constructor enabled active no',
    'a'.repeat(5000),
    '\r',
    '\0',
    'NaN',
    'Infinity',
    '-1',
    '1e309',
    'ii',
    'iU',
    'rc',
    'x'.repeat(64),
  ),
);
const line = fc.tuple(prefix, junk).map(([p, j]) => p + j);
const output = fc.oneof(
  fc.array(line, { maxLength: 60 }).map((lines) => lines.join('\n')),
  fc.string({ unit: 'binary', maxLength: 4000 }),
  fc.integer({ min: 1, max: 200_000 }).map((n) => '@@pirack:'.repeat(n)),
);

describe('probe parsers', () => {
  it('turn ≥ 500 garbage outputs into facts or a PROBE_GARBAGE error', () => {
    fc.assert(
      fc.property(output, (text) => {
        for (const controller of nodeControllers)
          attempt(`${controller.name}.observe.parse`, text, () => controller.observe.parse(text, node));
        attempt('parseSystemFacts', text, () => parseSystemFacts(text, 'pi 7'));
        attempt('splitSections', text, () => Object.fromEntries(splitSections(text)));
        attempt('parseProbe', text, () => parseProbe(text, node, nodeControllers));
      }),
      { seed, numRuns: 120, endOnFailure: true },
    );
    expect(tally.snapshot.cases).toBeGreaterThanOrEqual(500);
    expect(tally.snapshot.crashes).toBe(0);
    expect(tally.snapshot.hangs).toBe(0);
  });

  it('fixed: prototype names in probe output, and a forged end marker', () => {
    const forged = [
      '@@pirack:system',
      'uptime 1',
      'load 0',
      'memtotal 1',
      'memavail 1',
      'now 1',
      '@@pirack:authorizedKeys',
      '@@pirack:packages',
      'pkg __proto__ ii 1',
      'pkg constructor ii 1',
      '@@pirack:files',
      'missing /x',
      '@@pirack:end',
      '@@pirack:services',
      'unit __proto__ enabled active no',
      '@@pirack:hostname',
      '@@pirack:end',
    ].join('\n');
    attempt('parseProbe', forged, () => parseProbe(forged, node, nodeControllers));
    expect(() => parseProbe(forged, node, nodeControllers)).toThrow(/repeats section/);
  });
});
