/**
 * The "latest results" section of BENCHMARKS.md, rewritten in place between two markers so the
 * hand-written parts of the document stay as they are.
 */
import { formatValue } from './format.ts';
import type { BenchResults } from './results.ts';
import { markdownTable } from './table.ts';

export const BEGIN = '<!-- bench:latest:begin -->';
export const END = '<!-- bench:latest:end -->';

export function latestSection(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `Measured ${results.finishedAt.slice(0, 16).replace('T', ' ')} UTC by \`pirack bench\` (\`--pis ${results.options.pis} --runs ${results.options.runs}\`, other options at their defaults)` +
      (results.lab ? ` on a lab of ${results.lab.stacks} × ${results.lab.perStack} Pis${results.lab.reused ? ' (reused)' : ''}.` : '.'),
    '',
    markdownTable(results.scenarios),
    '',
    '**Machine**: ' +
      [
        `${m.cpuModel}, ${m.cores} cores`,
        `${formatValue(m.memoryMB / 1024, 'GB')} RAM`,
        m.os,
        `kernel ${m.kernel}`,
        `Node.js ${m.node}`,
        m.ansible,
        ...(m.cdist ? [m.cdist] : []),
        m.openssh,
      ].join('; ') +
      '.',
    '',
    '**How each figure was measured**',
    '',
  ];
  for (const s of results.scenarios) {
    if (s.status !== 'ok') lines.push(`- ${s.title}: ${s.status} — ${s.reason ?? ''}`);
    for (const note of s.notes) lines.push(`- ${s.title.replace(/^\d+\.\s*/, '')}: ${note}`);
  }
  return lines.join('\n');
}

/** `doc` with the text between the markers replaced; throws when the markers are missing. */
export function replaceLatest(doc: string, section: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`the document has no ${BEGIN} … ${END} section`);
  return `${doc.slice(0, begin + BEGIN.length)}\n${section}\n${doc.slice(end)}`;
}
