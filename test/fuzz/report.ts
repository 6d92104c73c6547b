/**
 * Shared bookkeeping of the property-based (fuzz) suites. Each target counts its cases, the
 * clear errors among them, crashes and hangs; the figures are printed in the CI log and written
 * to `test/fuzz/results/<target>.json` (ignored by git), which `npm run fuzz:figures` turns into
 * the table SECURITY.md shows.
 *
 * Seeds: every suite runs with its fixed seeds (the reproductions of known findings) plus one
 * random seed, printed when a property fails so the run can be replayed with
 * `PIRACK_FUZZ_SEED=<seed>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FuzzFigures {
  target: string;
  cases: number;
  clearErrors: number;
  accepted: number;
  crashes: number;
  hangs: number;
  seed: number;
}

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');

/** The random seed of this run: PIRACK_FUZZ_SEED when set (to replay), else a fresh one. */
export function fuzzSeed(): number {
  const fixed = Number(process.env.PIRACK_FUZZ_SEED);
  return Number.isInteger(fixed) ? fixed : Math.floor(Math.random() * 2 ** 31);
}

export class FuzzTally {
  private readonly figures: FuzzFigures;

  constructor(target: string, seed: number) {
    this.figures = { target, cases: 0, clearErrors: 0, accepted: 0, crashes: 0, hangs: 0, seed };
  }

  accepted(): void {
    this.figures.cases++;
    this.figures.accepted++;
  }

  clearError(): void {
    this.figures.cases++;
    this.figures.clearErrors++;
  }

  crash(): void {
    this.figures.cases++;
    this.figures.crashes++;
  }

  hang(): void {
    this.figures.cases++;
    this.figures.hangs++;
  }

  get snapshot(): Readonly<FuzzFigures> {
    return { ...this.figures };
  }

  /** Prints one line for the CI log and writes the JSON file SECURITY.md's table is built from. */
  report(): Readonly<FuzzFigures> {
    const f = this.figures;
    process.stdout.write(
      `fuzz ${f.target}: ${f.cases} cases, ${f.clearErrors} clear errors, ${f.accepted} accepted, ${f.crashes} crashes, ${f.hangs} hangs (seed ${f.seed})\n`,
    );
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, `${f.target}.json`), `${JSON.stringify(f, null, 2)}\n`);
    return this.snapshot;
  }
}
