/**
 * A failed step is a value, not an exception: executors return a StepResult and throw only for
 * programmer errors. The loop reads `error.transient` to decide whether to retry with backoff.
 */
import type { PiRackError } from '../errors.ts';

export interface StepResult {
  readonly ok: boolean;
  readonly exitCode?: number;
  readonly durationMs: number;
  /** Last lines of stderr, for the status report (never contains secrets we sent). */
  readonly stderrTail?: string;
  readonly error?: PiRackError;
}

export function stepOk(durationMs: number, exitCode = 0): StepResult {
  return { ok: true, exitCode, durationMs };
}

export function stepFailed(error: PiRackError, durationMs: number, extra: Partial<StepResult> = {}): StepResult {
  return { ok: false, durationMs, error, ...extra };
}

/** Keeps the last `max` characters of a command's stderr, cut at a line start when possible. */
export function tail(text: string, max = 800): string {
  if (text.length <= max) return text.trimEnd();
  const cut = text.slice(-max);
  const nl = cut.indexOf('\n');
  return (nl >= 0 ? cut.slice(nl + 1) : cut).trimEnd();
}
