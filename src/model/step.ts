/**
 * A failed step is a value, not an exception: executors return a StepResult and throw only for
 * programmer errors. The loop reads `error.transient` to decide whether to retry with backoff.
 * A successful step may say what it changed that the loop must remember (`outcome`): a cycle for
 * the policy's hourly cap, an enlistment for "do not enlist that stack again at this revision".
 */
import type { PiRackError } from '../errors.ts';
import type { EnlistmentResult } from '../dhcp/enlistment.ts';

/** What a successful step changed that the observed-state store records. */
export type StepOutcome =
  | { readonly kind: 'switched'; readonly stack: number; readonly on: boolean }
  | { readonly kind: 'cycled'; readonly stack: number }
  | { readonly kind: 'enlisted'; readonly result: EnlistmentResult };

export type StepResult =
  | {
      readonly ok: true;
      readonly exitCode?: number;
      readonly durationMs: number;
      readonly outcome?: StepOutcome;
    }
  | {
      readonly ok: false;
      readonly exitCode?: number;
      readonly durationMs: number;
      /** Last lines of stderr, for the status report (never contains secrets we sent). */
      readonly stderrTail?: string;
      readonly error: PiRackError;
    };

export type StepFailed = Extract<StepResult, { ok: false }>;

export function stepOk(durationMs: number, exitCode = 0, outcome?: StepOutcome): StepResult {
  return { ok: true, exitCode, durationMs, ...(outcome ? { outcome } : {}) };
}

export function stepFailed(error: PiRackError, durationMs: number, extra: { exitCode?: number; stderrTail?: string } = {}): StepFailed {
  return { ok: false, durationMs, error, ...extra };
}

/** Keeps the last `max` characters of a command's stderr, cut at a line start when possible. */
export function tail(text: string, max = 800): string {
  if (text.length <= max) return text.trimEnd();
  const cut = text.slice(-max);
  const nl = cut.indexOf('\n');
  return (nl >= 0 ? cut.slice(nl + 1) : cut).trimEnd();
}
