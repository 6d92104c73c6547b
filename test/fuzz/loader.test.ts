/**
 * The rack.yaml loader against hostile input (issue 11): random YAML-ish text, mutated valid racks,
 * huge, deep and alias inputs, plus the fixed reproductions of the review's findings. Properties:
 * no crash (parseRack never throws), no hang (each case under 2 s), every rejection carries a
 * message and a hint. Figures go to the CI log and test/fuzz/results/loader.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadRackResult, parseRack, type RackLoadResult } from '../../src/config/load.ts';
import { baseRack, FAKE_KEY, testOptions } from '../unit/config/fixtures.ts';
import { FuzzTally, fuzzSeed } from './report.ts';

const seed = fuzzSeed();
const tally = new FuzzTally('loader', seed);
const HANG_MS = 2000;
const dir = mkdtempSync(join(tmpdir(), 'pirack-fuzz-loader-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  tally.report();
});

/** Runs one case and books it; returns the result for extra assertions. */
function judge(text: string): RackLoadResult {
  const started = performance.now();
  let result: RackLoadResult;
  try {
    result = parseRack(text, testOptions());
  } catch (err) {
    tally.crash();
    throw new Error(`parseRack threw on ${JSON.stringify(text.slice(0, 200))}: ${(err as Error).stack}`);
  }
  book(result, performance.now() - started, text);
  return result;
}

function book(result: RackLoadResult, ms: number, what: string): void {
  if (ms > HANG_MS) {
    tally.hang();
    throw new Error(`${ms.toFixed(0)} ms on ${JSON.stringify(what.slice(0, 200))}`);
  }
  if (result.ok) return tally.accepted();
  const clear =
    result.problems.length > 0 && result.problems.every((p) => p.message.trim() !== '' && p.hint.trim() !== '' && Number.isInteger(p.line));
  if (!clear) {
    tally.crash();
    throw new Error(`a rejection without a clear message: ${JSON.stringify(result.problems).slice(0, 400)}`);
  }
  tally.clearError();
}

const valid = stringify(baseRack());

/** A valid rack with one value somewhere replaced by something arbitrary. */
const mutatedRack = fc
  .tuple(
    fc.nat(),
    fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.boolean(),
      fc.constantFrom(
        '1e300',
        '-1',
        '0s',
        '1000h',
        '__proto__',
        'constructor',
        '/x"; }; touch /tmp/PWNED; { echo "',
        '../rack/id_ed25519',
        'a\nb',
        'a\0b',
      ),
    ),
  )
  .map(([at, value]) => {
    const raw = baseRack() as unknown as Record<string, unknown>;
    const slots: [Record<string, unknown>, string][] = [];
    const walk = (node: unknown) => {
      if (node && typeof node === 'object')
        for (const key of Object.keys(node)) {
          slots.push([node as Record<string, unknown>, key]);
          walk((node as Record<string, unknown>)[key]);
        }
    };
    walk(raw);
    const [parent, key] = slots[at % slots.length]!;
    parent[key] = value;
    return stringify(raw);
  });

/** Text made of YAML's own punctuation, to reach the parser's corners. */
const yamlish = fc
  .array(
    fc.constantFrom(
      '[',
      ']',
      '{',
      '}',
      ':',
      ' ',
      '\n',
      '-',
      '&a',
      '*a',
      '!!str',
      '"',
      "'",
      '#',
      '|',
      '>',
      '? ',
      'key',
      '1e300',
      '\t',
      '%YAML 1.2\n',
      '---\n',
      '...\n',
      '<<: *a',
    ),
    { maxLength: 400 },
  )
  .map((parts) => parts.join(''));

/** Big inputs within and around the limits: long lines, deep nesting, many keys. */
const huge = fc.oneof(
  fc.integer({ min: 1, max: 200_000 }).map((n) => '['.repeat(n)),
  fc.integer({ min: 1, max: 5000 }).map((n) => '{a: '.repeat(n)),
  fc.integer({ min: 10, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n')),
  fc.integer({ min: 1, max: 30_000 }).map((n) => `${valid}${Array.from({ length: n }, (_, i) => `u${i}: ${i}`).join('\n')}\n`),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `name: "${'x'.repeat(n)}"\n`),
);

/** Alias bombs: each level refers to the previous one several times. */
const aliases = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 9 })).map(([levels, width]) => {
  const lines = ['a0: &a0 [x]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
});

describe('rack.yaml loader', () => {
  it('survives ≥ 500 generated inputs (mutated racks, YAML punctuation, huge, deep, aliases)', () => {
    for (const [name, arb, runs] of [
      ['mutated', mutatedRack, 250],
      ['yamlish', yamlish, 200],
      ['huge', huge, 40],
      ['aliases', aliases, 30],
      ['any text', fc.string({ unit: 'binary', maxLength: 2000 }), 60],
    ] as const) {
      fc.assert(
        fc.property(arb as fc.Arbitrary<string>, (text) => {
          judge(text);
        }),
        { seed, numRuns: runs, endOnFailure: true, verbose: false },
      );
      expect(name).toBeTruthy();
    }
    expect(tally.snapshot.cases).toBeGreaterThanOrEqual(500);
    expect(tally.snapshot.crashes).toBe(0);
    expect(tally.snapshot.hangs).toBe(0);
  });

  describe('fixed reproductions of the review', () => {
    it('a 5 MB line of [', () => {
      expect(judge('['.repeat(5 * 1024 * 1024)).ok).toBe(false);
    });

    it('50,000 unknown keys', () => {
      const raw = baseRack() as unknown as Record<string, unknown>;
      for (let i = 0; i < 50_000; i++) raw[`k${i}`] = i;
      expect(judge(stringify(raw)).ok).toBe(false);
    });

    it('hostile paths, 1000h durations, 1e300 ids, a package named constructor', () => {
      const raw = baseRack();
      raw.defaults!.files = [
        { path: '/etc/motd', content: 'x' },
        { path: '/x\n@@pirack:end', content: 'y' },
        { path: '/a\0b', content: 'z' },
        { path: '/etc/../shadow', content: 'w' },
      ];
      raw.policies = { resyncInterval: '1000h', powerCycle: { minOff: '1000h' } };
      const r = judge(stringify(raw).replace('id: 3', 'id: 1e300'));
      expect(r.ok).toBe(false);
      const ctor = baseRack();
      ctor.defaults!.packages = [{ name: 'constructor' }];
      expect(judge(stringify(ctor)).ok).toBe(true);
    });

    it('source: naming a FIFO, /dev/zero and ../rack/id_ed25519', async () => {
      mkdirSync(join(dir, 'rack'));
      mkdirSync(join(dir, 'keys'));
      writeFileSync(join(dir, 'keys', 'id_ed25519'), 'PRIVATE\n');
      execFileSync('mkfifo', [join(dir, 'rack', 'fifo')]);
      for (const source of ['fifo', '/dev/zero', '../keys/id_ed25519']) {
        const raw = baseRack();
        raw.defaults!.files = [{ path: '/etc/motd', source }];
        writeFileSync(join(dir, 'rack', 'rack.yaml'), stringify(raw));
        const started = performance.now();
        const r = await loadRackResult(join(dir, 'rack', 'rack.yaml'), {
          readPublicKey: () => FAKE_KEY,
          allowedSourceDirs: source === '/dev/zero' ? ['/dev'] : [],
        });
        book(r, performance.now() - started, source);
        expect(r.ok).toBe(false);
      }
    });
  });
});
