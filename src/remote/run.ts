/**
 * Runs one command on a Pi and turns every outcome into a StepResult: the one place where exit
 * codes and stderr become PiRackError codes the loop understands (retry or report).
 */
import { isPiRackError, pirackError, type ErrorCode } from '../errors.ts';
import { stepFailed, stepOk, tail, type StepResult } from '../model/step.ts';
import type { ExecOptions } from '../ssh/types.ts';
import type { NodeContext } from '../reconcile/controller.ts';

/** Known stderr patterns, most specific first. */
const STDERR_CODES: readonly [RegExp, ErrorCode][] = [
  [/No space left on device|ENOSPC/i, 'PIRACK_ERR_DISK_FULL'],
  [/Could not get lock|dpkg frontend lock|Unable to acquire the dpkg/i, 'PIRACK_ERR_DPKG_LOCKED'],
  [/dpkg was interrupted/i, 'PIRACK_ERR_DPKG_BROKEN'],
  [/Unable to locate package|has no installation candidate/i, 'PIRACK_ERR_PKG_NOT_FOUND'],
];

export function classifyStderr(stderr: string): ErrorCode {
  for (const [pattern, code] of STDERR_CODES) if (pattern.test(stderr)) return code;
  return 'PIRACK_ERR_COMMAND_FAILED';
}

export interface RemoteStepOptions extends Omit<ExecOptions, 'signal'> {
  /** Short name of what is being done, for messages: "install bc". */
  readonly what: string;
}

export async function runRemoteStep(
  ctx: Pick<NodeContext, 'now' | 'ssh' | 'target' | 'signal' | 'node'>,
  command: string,
  options: RemoteStepOptions,
): Promise<StepResult> {
  const started = ctx.now();
  try {
    const result = await ctx.ssh.exec(ctx.target, command, { ...options, signal: ctx.signal });
    if (result.exitCode === 0) return stepOk(result.durationMs);
    const stderrTail = tail(result.stderr || result.stdout);
    const code = classifyStderr(result.stderr);
    const error = pirackError(code, `${options.what} failed with exit code ${result.exitCode}: ${lastLine(stderrTail)}`, {
      where: `pi ${ctx.node.id}`,
    });
    return stepFailed(error, result.durationMs, { exitCode: result.exitCode, stderrTail });
  } catch (err) {
    const error = isPiRackError(err)
      ? err
      : pirackError('PIRACK_ERR_COMMAND_FAILED', `${options.what}: ${(err as Error).message}`, { where: `pi ${ctx.node.id}`, cause: err });
    return stepFailed(error, ctx.now() - started);
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
