import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types, served to browsers as is.
import * as format from '../../../../src/http/dashboard/js/format.js';
import { node, unreachableConditions } from '../fake-facade.ts';

const on = { id: 1, power: 'on' };
const off = { id: 1, power: 'off' };

describe('dashboard display state', () => {
  it('colours a Pi by power first, then quarantine, reachability and readiness', () => {
    expect(format.piState(node(1, 1), on)).toBe('ready');
    expect(format.piState(node(1, 1), off)).toBe('off');
    expect(format.piState(node(1, 1, { quarantined: true }), on)).toBe('quarantined');
    expect(format.piState(node(1, 1, { conditions: unreachableConditions() }), on)).toBe('unreachable');
    expect(format.piState(node(1, 1, { conditions: [] }), on)).toBe('converging');
  });

  it('matches a search by exact id or part of IP, MAC or hostname', () => {
    const pi = node(12, 1);
    expect(format.matchesQuery(pi, '12')).toBe(true);
    expect(format.matchesQuery(pi, '99')).toBe(false);
    // Digits also match inside addresses: "81" finds the Pi at 10.77.0.81.
    expect(format.matchesQuery(pi, '81')).toBe(true);
    expect(format.matchesQuery(pi, 'B8:27:EB:00:00:0C')).toBe(true);
    expect(format.matchesQuery(pi, '10.77.0.81')).toBe(true);
    expect(format.matchesQuery(pi, 'pi-12')).toBe(true);
    expect(format.matchesQuery(pi, '')).toBe(true);
  });

  it('formats durations and revisions for people', () => {
    expect(format.formatDuration(450)).toBe('450 ms');
    expect(format.formatDuration(1234)).toBe('1.2 s');
    expect(format.formatDuration(125_000)).toBe('2 min 5 s');
    expect(format.formatUptime(90_000)).toBe('25 h 0 min');
    expect(format.formatAgo('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:00:30Z'))).toBe('30 s ago');
    expect(format.shortRevision('sha256:0123456789abcdef')).toBe('0123456789');
    expect(format.shortRevision(undefined)).toBe('—');
  });
});
