import { describe, expect, it } from 'vitest';
import type { LabPort } from '../../../../bench/lib/lab-port.ts';
import { CRON_INTERVAL_MS, cronFigure, timeUntilActive } from '../../../../bench/scenarios/drift.ts';

describe('cronFigure', () => {
  it('adds the cron wait at the percentile to the run time', () => {
    expect(cronFigure(50, 12_000)).toBe(CRON_INTERVAL_MS / 2 + 12_000);
    expect(cronFigure(95, 10_000)).toBe(57_000 + 10_000);
    expect(cronFigure(50, 1000, 300_000)).toBe(151_000);
  });
});

describe('timeUntilActive', () => {
  function lab(activeAfterCalls: number) {
    let calls = 0;
    const port: LabPort = {
      status: async () => ({ up: true, dir: '/lab', running: [1] }),
      up: async () => ({ dir: '/lab', rackYaml: '/lab/rack.yaml' }),
      down: async () => {},
      exec: async (_pi, cmd) => {
        expect(cmd).toBe('systemctl is-active --quiet pirack-slave.service');
        return { code: ++calls >= activeAfterCalls ? 0 : 3, stdout: '', stderr: '' };
      },
      rackYamlOf: (d) => d,
    };
    return port;
  }

  it('polls until the unit is active and measures from the moment given', async () => {
    let now = 1000;
    const took = await timeUntilActive(lab(4), 1, 1000, {
      clock: () => now,
      sleep: async (ms) => void (now += ms),
      timeoutMs: 60_000,
      pollMs: 100,
    });
    expect(took).toBe(300);
  });

  it('gives up after the timeout', async () => {
    let now = 0;
    const took = await timeUntilActive(lab(Number.POSITIVE_INFINITY), 1, 0, {
      clock: () => now,
      sleep: async (ms) => void (now += ms),
      timeoutMs: 1000,
      pollMs: 100,
    });
    expect(took).toBeUndefined();
  });
});
