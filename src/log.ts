/**
 * Structured logs (pino): JSON lines for machines, pretty on a terminal. Secrets are redacted by
 * path as a second line of defence; the first is that secrets never reach a log call.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import { journalDestination } from './log-journal.ts';

export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'privateKey',
  '*.privateKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export interface LogOptions {
  readonly level?: string;
  /** Pretty output; defaults to whether stderr is a terminal. */
  readonly pretty?: boolean;
  /** Where lines go (tests pass an in-memory stream). Default stderr, so stdout stays for results. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.PIRACK_LOG_LEVEL ?? 'info';
  const usePretty = options.pretty ?? process.stderr.isTTY === true;
  const destination =
    options.destination ??
    (process.env.PIRACK_LOG_FORMAT === 'journal'
      ? journalDestination()
      : usePretty
        ? pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' })
        : pino.destination({ dest: 2, sync: true }));
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'pirack' } }, destination);
}
