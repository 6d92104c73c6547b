/**
 * The daemon's logger in an e2e test: JSON lines kept in memory (the last few thousand), so a
 * wait that times out can say what the daemon was doing, and a test can look for a line.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/log.ts';

export interface CapturedLog {
  readonly log: Logger;
  /** Every line since the start, oldest first (trimmed to the last 2,000 past 4,000). */
  readonly lines: string[];
  /** The last `n` lines, each as `pi N: message: error`, for a failed wait's context. */
  tail(n?: number): string;
}

export function captureLog(level: 'info' | 'debug' = 'info'): CapturedLog {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      if (lines.length > 4000) lines.splice(0, 2000);
      done();
    },
  });
  return { log: createLogger({ level, pretty: false, destination }), lines, tail: (n = 20) => lines.slice(-n).map(brief).join('\n') };
}

function brief(line: string): string {
  try {
    const j = JSON.parse(line) as { msg?: string; node?: number; err?: { message?: string } };
    return `${j.node !== undefined ? `pi ${j.node}: ` : ''}${j.msg ?? ''}${j.err?.message ? `: ${j.err.message}` : ''}`;
  } catch {
    return line;
  }
}
