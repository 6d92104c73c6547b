import { describe, expect, it } from 'vitest';
import { createRackMetrics } from '../../../src/http/metrics.ts';
import { createFakeFacade } from './fake-facade.ts';
import { harness } from './harness.ts';

describe('/metrics', () => {
  it('exposes every metric in Prometheus text format', async () => {
    const h = await harness();
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    for (const name of [
      'pirack_reconcile_pass_duration_seconds',
      'pirack_actions_total',
      'pirack_pis',
      'pirack_pis_total',
      'pirack_ssh_connections',
      'pirack_stack_power',
      'pirack_rack_ready',
      'pirack_rack_suspended',
      'pirack_revision_rejected',
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('pirack_reconcile_pass_duration_seconds_count 2');
    expect(text).toContain('pirack_reconcile_pass_duration_seconds_bucket{le="0.25"} 1');
    expect(text).toContain('pirack_actions_total{kind="pkg-install",result="ok"} 3');
    expect(text).toContain('pirack_actions_total{kind="pkg-install",result="failed"} 1');
    expect(text).toContain('pirack_pis{condition="Reachable",status="False"} 3');
    expect(text).toContain('pirack_pis{condition="Ready",status="True"} 3');
    expect(text).toContain('pirack_ssh_connections 5');
    expect(text).toContain('pirack_stack_power{stack="3",state="off"} 1');
    expect(text).toContain('pirack_stack_power{stack="3",state="on"} 0');
    // Per-Pi health gauges (the watch stream's, else the probe's).
    expect(text).toContain('pirack_pi_cpu_percent{pi="1"} 4');
    expect(text).toContain('pirack_pi_temperature_celsius{pi="2"} 41');
    expect(text).toContain('# TYPE pirack_pi_last_heartbeat_timestamp_seconds gauge');
    await h.app.close();
  });

  it('observes each reconcile pass once however often it is scraped', async () => {
    const facade = createFakeFacade();
    const metrics = createRackMetrics(facade);
    await metrics.render();
    await metrics.render();
    facade.metricsValue = { ...facade.metricsValue, passDurationsMs: [120, 900, 3000], passCount: 3 };
    const text = await metrics.render();
    expect(text).toContain('pirack_reconcile_pass_duration_seconds_count 3');
    expect(text).toContain('pirack_reconcile_pass_duration_seconds_sum 4.02');
  });

  it('keeps two servers apart: each has its own registry', async () => {
    const a = createRackMetrics(createFakeFacade());
    const b = createRackMetrics(createFakeFacade());
    expect(a.registry).not.toBe(b.registry);
    expect(await b.render()).toContain('pirack_ssh_connections 5');
  });
});
