/** Figures as people read them: the unit decides the rendering. */
import { round3 } from './stats.ts';

export function formatValue(value: number, unit: string): string {
  switch (unit) {
    case 'ms':
      return Math.abs(value) < 1000 ? `${round3(value)} ms` : `${round3(value / 1000)} s`;
    case 'x':
      return `${round3(value)}×`;
    case 'MB':
      return `${round3(value)} MB`;
    case '%':
      return `${round3(value)} %`;
    default:
      return `${round3(value)} ${unit}`;
  }
}
