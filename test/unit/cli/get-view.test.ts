import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { describePi, eventsOfPi, formatObject, pisTable, stacksTable } from '../../../src/cli/get-view.ts';
import type { RackEvent, StatusReport } from '../../../src/model/status.ts';

const NOW = Date.parse('2026-12-02T02:00:00Z');
const at = (s: number) => new Date(NOW - s * 1000).toISOString();
const report = {
  generatedAt: at(0),
  rack: {
    name: 'lab',
    ready: false,
    suspended: false,
    counts: { nodes: 2, ready: 1, unreachable: 1, quarantined: 0 },
    revisionErrors: [],
    grid: { rows: 1, cols: 1 },
  },
  stacks: [
    {
      id: 1,
      x: 1,
      y: 1,
      desiredPower: 'on',
      power: 'on',
      health: 'warning',
      nodes: [1, 2],
      suspended: { target: 'pi 2', by: 'alice', reason: 'new SD card', at: at(60) },
    },
  ],
  nodes: [
    {
      id: 1,
      stack: 1,
      conditions: [
        { type: 'Reachable', status: 'True', reason: 'Answers', message: '', lastTransitionTime: at(300) },
        { type: 'Ready', status: 'True', reason: 'InSync', message: 'everything matches', lastTransitionTime: at(90) },
      ],
      observed: { ip: '10.0.0.11', cpuPercent: 12.4, temperatureC: 48.25 },
      pendingActions: [],
      lastSeen: at(5),
      quarantined: false,
    },
    {
      id: 2,
      stack: 1,
      conditions: [{ type: 'Reachable', status: 'False', reason: 'SshUnreachable', message: 'EHOSTUNREACH', lastTransitionTime: at(30) }],
      observed: { ip: '10.0.0.12' },
      pendingActions: ['install bc'],
      quarantined: false,
      suspended: { target: 'pi 2', by: 'alice', reason: 'new SD card', at: at(60) },
    },
  ],
  lastErrors: [],
} as StatusReport;
const events: RackEvent[] = [
  { seq: 1, at: at(100), kind: 'pkg-install', target: 'pi 1', message: 'install bc', result: 'ok' },
  { seq: 2, at: at(50), kind: 'stack-power', target: 'stack 1', message: 'powered on', result: 'ok' },
  { seq: 3, at: at(40), kind: 'suspended', target: 'pi 2', message: 'pi 2 suspended by alice', result: 'info' },
];

describe('get and describe', () => {
  it('lists Pis and stacks one line each, with their state', () => {
    const pis = pisTable(report, NOW).split('\n');
    expect(pis[0]).toMatch(/^PI +STACK +IP +STATUS +PENDING +CPU +TEMP +LAST SEEN$/);
    expect(pis[2]).toMatch(/^1 +1 +10\.0\.0\.11 +Ready +0 +12% +48\.3°C +5s$/);
    expect(pis[3]).toMatch(/^2 +1 +10\.0\.0\.12 +Suspended +1 +- +- +-$/);
    expect(stacksTable(report)).toMatch(/1 +on +on +warning +1,2 +pi 2 by alice/);
  });

  it('describes a Pi: conditions, health, pending actions, its and its stack events', () => {
    const mine = eventsOfPi(events, report, 2);
    expect(mine.map((e) => e.seq)).toEqual([2, 3]);
    const text = describePi(report, 2, mine, NOW);
    expect(text).toMatch(/^Name: +pi 2$/m);
    expect(text).toMatch(/^Suspended: +pi 2 by alice since .*: new SD card$/m);
    expect(text).toMatch(/Reachable +False +SshUnreachable +30s +EHOSTUNREACH/);
    expect(text).toMatch(/Pending actions:\n {2}install bc/);
    expect(text).toMatch(/50s +stack-power +ok +powered on/);
    expect(text).not.toContain('pkg-install');
  });

  it('prints the objects as JSON or YAML', () => {
    expect(parse(formatObject({ items: report.nodes }, 'yaml'))).toEqual({ items: report.nodes });
    expect(JSON.parse(formatObject({ items: report.stacks }, 'json'))).toEqual({ items: report.stacks });
  });
});
