/**
 * The final table, as plain text for the terminal and as Markdown for BENCHMARKS.md, from the
 * same cells so the two never disagree.
 */
import { formatValue } from './format.ts';
import type { BenchResults, ScenarioResult } from './results.ts';

export const TABLE_HEADERS = ['Scenario', 'Figure', 'Median', 'Min – max', 'Runs', 'Target', 'Met'] as const;

/** Cells of every row, scenario by scenario; a skipped or failed scenario is one row saying why. */
export function tableCells(scenarios: readonly ScenarioResult[]): string[][] {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    if (scenario.status !== 'ok' && scenario.rows.length === 0) {
      rows.push([scenario.title, `${scenario.status.toUpperCase()}: ${scenario.reason ?? 'no reason given'}`, '', '', '', '', '']);
      continue;
    }
    scenario.rows.forEach((row, i) => {
      const title = i === 0 ? scenario.title + (scenario.status === 'ok' ? '' : ` (${scenario.status}: ${scenario.reason ?? ''})`) : '';
      const s = row.summary;
      rows.push([
        title,
        row.label,
        s ? formatValue(s.median, s.unit) : '—',
        s ? (s.runs.length > 1 ? `${formatValue(s.min, s.unit)} – ${formatValue(s.max, s.unit)}` : '') : '',
        row.note ?? (s ? String(s.runs.length) : ''),
        row.target?.goal ?? '',
        row.target ? (row.target.met ? 'yes' : 'NO') : '',
      ]);
    });
  }
  return rows;
}

export function textTable(scenarios: readonly ScenarioResult[]): string {
  const rows = tableCells(scenarios);
  const headers = [...TABLE_HEADERS];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function markdownTable(scenarios: readonly ScenarioResult[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]): string => `| ${cells.map(escape).join(' | ')} |`;
  return [line([...TABLE_HEADERS]), line(TABLE_HEADERS.map(() => '---')), ...tableCells(scenarios).map(line)].join('\n');
}

/** Every scenario's notes, for under the table. */
export function notesText(results: BenchResults): string {
  const lines: string[] = [];
  for (const scenario of results.scenarios) {
    if (scenario.notes.length === 0) continue;
    lines.push(`${scenario.title}:`);
    for (const note of scenario.notes) lines.push(`  - ${note}`);
  }
  return lines.join('\n');
}
