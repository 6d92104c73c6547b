/**
 * `npm run fuzz:figures`: the table of SECURITY.md's "Fuzzing figures", rebuilt from the JSON
 * files the last fuzz run wrote (test/fuzz/results/<target>.json, see report.ts). It rewrites
 * the rows between the table markers in SECURITY.md and prints them, so the figures shown are
 * always those of a real run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FuzzFigures } from './report.ts';

const TARGETS = ['loader', 'api', 'probe-parsers'] as const;
const RESULTS = (target: string) => fileURLToPath(new URL(`./results/${target}.json`, import.meta.url));
const SECURITY = fileURLToPath(new URL('../../SECURITY.md', import.meta.url));
const BEGIN = '<!-- fuzz-figures:begin -->';
const END = '<!-- fuzz-figures:end -->';

function row(target: string): string {
  if (!existsSync(RESULTS(target))) return `| \`${target}\` | not run | | | | |`;
  const f = JSON.parse(readFileSync(RESULTS(target), 'utf8')) as FuzzFigures;
  return `| \`${target}\` | ${f.cases} | ${f.clearErrors} | ${f.crashes} | ${f.hangs} | ${f.seed} |`;
}

const table = ['| target | cases | clear errors | crashes | hangs | random seed |', '|---|---|---|---|---|---|', ...TARGETS.map(row)].join(
  '\n',
);
const doc = readFileSync(SECURITY, 'utf8');
const begin = doc.indexOf(BEGIN);
const end = doc.indexOf(END);
if (begin < 0 || end < begin) throw new Error(`SECURITY.md has no ${BEGIN} … ${END} markers around the fuzzing table`);
writeFileSync(SECURITY, `${doc.slice(0, begin + BEGIN.length)}\n${table}\n${doc.slice(end)}`);
process.stdout.write(`${table}\n`);
