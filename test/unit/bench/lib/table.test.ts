import { describe, expect, it } from 'vitest';
import { markdownTable, tableCells, textTable, TABLE_HEADERS } from '../../../../bench/lib/table.ts';
import { skipped, type ScenarioResult } from '../../../../bench/lib/results.ts';
import { summarize } from '../../../../bench/lib/stats.ts';
import { checkTarget } from '../../../../bench/lib/targets.ts';

const noop: ScenarioResult = {
  id: 'noop',
  title: '1. No-op',
  status: 'ok',
  pis: 48,
  rows: [
    { label: 'PiRack', summary: summarize([120, 100, 140], 'ms') },
    { label: 'Ansible', summary: summarize([9000, 8000, 10000], 'ms') },
    { label: 'Ansible/PiRack', summary: summarize([75, 80, 71.4], 'x'), target: checkTarget('noopVsAnsible', 75) },
    { label: 'Ansible (cron)', note: 'computed' },
  ],
  notes: ['all parallel'],
  durationMs: 1,
};

describe('tableCells', () => {
  it('puts the scenario title on its first row only and formats by unit', () => {
    const rows = tableCells([noop]);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual(['1. No-op', 'PiRack', '120 ms', '100 ms – 140 ms', '3', '', '']);
    expect(rows[1]![0]).toBe('');
    expect(rows[1]![2]).toBe('9 s');
    expect(rows[2]!.slice(2)).toEqual(['75×', '71.4× – 80×', '3', 'Ansible/PiRack ≥ 20×', 'yes']);
  });

  it('shows a row without a measurement as a dash with its note', () => {
    expect(tableCells([noop])[3]).toEqual(['', 'Ansible (cron)', '—', '', 'computed', '', '']);
  });

  it('says plainly why a scenario did not run', () => {
    const rows = tableCells([skipped('converge', 'lab was reused')]);
    expect(rows).toEqual([['2. Converge from blank', 'SKIPPED: lab was reused', '', '', '', '', '']]);
  });

  it('marks a missed target NO', () => {
    const missed: ScenarioResult = {
      ...noop,
      rows: [{ label: 'x', summary: summarize([5], 'x'), target: checkTarget('noopVsAnsible', 5) }],
    };
    expect(tableCells([missed])[0]![6]).toBe('NO');
    // A single run has no range to show.
    expect(tableCells([missed])[0]![3]).toBe('');
  });
});

describe('renderings', () => {
  it('aligns the text table in columns under the headers', () => {
    const lines = textTable([noop]).split('\n');
    expect(lines[0]!.startsWith('Scenario')).toBe(true);
    expect(lines[1]).toMatch(/^-+ +-+/);
    const figureColumn = lines[0]!.indexOf('Figure');
    expect(lines[2]!.slice(figureColumn).startsWith('PiRack')).toBe(true);
    expect(lines[3]!.slice(figureColumn).startsWith('Ansible')).toBe(true);
  });

  it('writes a Markdown table with one row per figure and escapes pipes', () => {
    const withPipe: ScenarioResult = { ...noop, rows: [{ label: 'a|b', summary: summarize([1], 'ms') }] };
    const md = markdownTable([withPipe]).split('\n');
    expect(md[0]).toBe(`| ${TABLE_HEADERS.join(' | ')} |`);
    expect(md[1]).toBe(`| ${TABLE_HEADERS.map(() => '---').join(' | ')} |`);
    expect(md[2]).toContain('a\\|b');
  });
});
