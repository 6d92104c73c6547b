/**
 * Code checks that keep the house in shape:
 * - the import layers (.dependency-cruiser.cjs): src/ never imports bench/ or the virtual rack
 *   outside its relay driver, and there are no import cycles;
 * - the loop and the controllers read time only through the injected Clock: no timers,
 *   `Date.now`, `new Date()` or direct `sleep` in src/reconcile/ or controllers/. The named
 *   exceptions elsewhere (they own real time by design) are the SSE keepalive (src/http/sse.ts)
 *   and the source watchers (src/source/), and src/util/clock.ts, the one real clock.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { cruise } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const CLOCKLESS = ['src/reconcile', 'controllers'];
const FORBIDDEN: readonly [RegExp, string][] = [
  // A bare timer; `clock.setTimeout(…)` on the injected clock is the point.
  [/(?<![.\w])setTimeout\s*\(/, 'setTimeout'],
  [/(?<![.\w])setInterval\s*\(/, 'setInterval'],
  [/\bDate\.now\b/, 'Date.now'],
  [/new Date\(\s*\)/, 'new Date()'],
  [/\bperformance\.now\b/, 'performance.now'],
  [/from ['"][./]*(src\/)?util\/sleep(\.ts)?['"]/, 'a direct sleep import'],
];
export const NAMED_EXCEPTIONS = ['src/http/sse.ts', 'src/source/', 'src/util/clock.ts'];

describe('the injected clock only', () => {
  it('keeps timers, Date.now and direct sleep out of src/reconcile/ and controllers/', () => {
    const found: string[] = [];
    for (const dir of CLOCKLESS) {
      for (const file of files(join(root, dir))) {
        const text = readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => !/^\s*(\*|\/\/)/.test(l))
          .join('\n');
        for (const [pattern, what] of FORBIDDEN) if (pattern.test(text)) found.push(`${relative(root, file)}: ${what}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('would catch a timer (the check can fail)', () => {
    expect(FORBIDDEN.some(([p]) => p.test('const t = setInterval(() => tick(), 5000);'))).toBe(true);
    expect(FORBIDDEN.some(([p]) => p.test("import { sleep } from '../util/sleep.ts';"))).toBe(true);
  });
});

describe('import layers (dependency-cruiser)', () => {
  const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as {
    forbidden: unknown[];
    options: Record<string, unknown>;
  };

  it('src/ and controllers/ import neither bench/ nor the lab outside its relay driver, and have no cycles', async () => {
    const result = await cruise(['src', 'controllers'], {
      ...config.options,
      baseDir: root,
      validate: true,
      ruleSet: { forbidden: config.forbidden },
    } as never);
    const output = result.output as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
    expect(output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
    // It did see the code: the one allowed lab import is resolved.
    const modules = (result.output as { modules: { source: string; dependencies: { resolved: string }[] }[] }).modules;
    expect(modules.find((m) => m.source === 'src/daemon/rack-io.ts')?.dependencies.map((d) => d.resolved)).toContain('src/lab/relay.ts');
  }, 120_000);
});
