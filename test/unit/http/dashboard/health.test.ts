import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types, served to browsers as is.
import * as health from '../../../../src/http/dashboard/js/health.js';
import { node } from '../fake-facade.ts';

const LIVE = {
  cpuPercent: 23.4,
  temperatureC: 61.25,
  memTotalKb: 1000,
  memAvailableKb: 250,
  load1: 0.5,
  load5: 0.4,
  load15: 0.3,
  uptimeSeconds: 90,
  diskFreeBytes: 3 * 1024 ** 3,
  diskTotalBytes: 8 * 1024 ** 3,
  throttled: 0,
  at: '2026-01-01T00:00:09.000Z',
};

describe('dashboard health', () => {
  it('shows the stream’s live figures when the status has them', () => {
    const n = { ...node(1, 1), health: LIVE };
    expect(health.tileHealthText(n)).toBe('23% · 61°C');
    const facts = Object.fromEntries(health.healthFacts(n, Date.parse('2026-01-01T00:00:12.000Z')));
    expect(facts).toMatchObject({
      CPU: '23.4 %',
      Temperature: '61.3 °C',
      'Memory used': '75 %',
      'Disk free': '3.0 GiB',
      Power: 'ok',
      'Last heartbeat': '3.0 s ago',
    });
  });

  it('falls back to the probe’s figures without a stream, and says so', () => {
    const n = node(1, 1);
    const h = health.healthOf(n);
    expect(h.live).toBe(false);
    expect(h.cpuPercent).toBe(n.observed.cpuPercent ?? null);
    expect(Object.fromEntries(health.healthFacts(n))['Last heartbeat']).toBe('no stream (polled)');
    expect(Object.fromEntries(health.healthFacts(n)).Power).toBe('—');
  });

  it('decodes throttling and flags the tile while it happens now', () => {
    expect(health.decodeThrottled(0x50005)).toEqual([
      'under-voltage now',
      'throttled now',
      'under-voltage since boot',
      'throttled since boot',
    ]);
    expect(health.decodeThrottled(0)).toEqual([]);
    expect(health.decodeThrottled(null)).toBeNull();
    expect(health.tileHealthText({ ...node(1, 1), health: { ...LIVE, throttled: 0x1 } })).toBe('23% · 61°C ⚠');
    expect(health.tileHealthText({ ...node(1, 1), health: { ...LIVE, throttled: 0x10000 } })).toBe('23% · 61°C');
  });

  it('formats bytes', () => {
    expect(health.formatBytes(512)).toBe('512 B');
    expect(health.formatBytes(1536)).toBe('1.5 KiB');
    expect(health.formatBytes(undefined)).toBe('—');
  });
});
