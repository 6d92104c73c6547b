/**
 * The example Prometheus rules (examples/prometheus/) speak /metrics' language: every pirack_*
 * name their unit-test input series use is one the metrics registry really exports (read from the
 * registry a daemon serves), and `promtool test rules` passes where Debian's prometheus package is
 * installed (src/deps/host-tools.txt lists promtool).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRackMetrics } from '../../../src/http/metrics.ts';
import { createFakeFacade } from '../http/fake-facade.ts';

const DIR = new URL('../../../examples/prometheus/', import.meta.url).pathname;
const PROMTOOL = process.env.PIRACK_PROMTOOL ?? '/usr/bin/promtool';

function seriesNames(): string[] {
  const doc = parse(readFileSync(`${DIR}pirack-alerts.test.yml`, 'utf8')) as { tests: { input_series: { series: string }[] }[] };
  return [...new Set(doc.tests.flatMap((t) => t.input_series.map((s) => s.series.split('{')[0]!)))];
}

describe('example Prometheus alert rules', () => {
  it('use only metric names /metrics exports (plus Prometheus own up)', async () => {
    const metrics = createRackMetrics(createFakeFacade());
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const used = seriesNames();
    expect(used.filter((n) => n.startsWith('pirack_')).length).toBeGreaterThan(2);
    for (const name of used) if (name !== 'up') expect(exported, `${name} is not exported by /metrics`).toContain(name);
    const rules = readFileSync(`${DIR}pirack-alerts.yml`, 'utf8');
    for (const name of rules.match(/pirack_[a-z_]+/g) ?? []) expect(exported).toContain(name);
  });

  // promtool comes with Debian's prometheus package; where it is not installed this cannot run.
  it.runIf(existsSync(PROMTOOL))('pass promtool test rules', () => {
    const out = execFileSync(PROMTOOL, ['test', 'rules', 'pirack-alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS/);
  });
});
