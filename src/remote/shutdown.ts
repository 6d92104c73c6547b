/**
 * Graceful power-off: before a relay cuts a stack, each reachable Pi of it is asked to shut down
 * (`systemctl poweroff`, detached so the command returns before the connection drops), and the
 * cut waits until they are down, with a timeout. SD cards corrupt when power goes while the
 * kernel still writes; a clean shutdown has synced and unmounted everything.
 *
 * "Down" is the relay driver's word when it can see it (the lab sees the container gone), else no
 * answer at the SSH port. A Pi that does not take the command (unreachable, refused) is not
 * waited for: it is cut as before. Failure leaves: nothing worse than a hard cut; a Pi that has
 * not gone down by the timeout is cut anyway, and the result says which.
 */
import type { NodeSpec } from '../model/desired.ts';
import type { RackContext } from '../reconcile/controller.ts';

export const POWEROFF_COMMAND = "nohup sh -c 'sleep 1; systemctl poweroff' >/dev/null 2>&1 </dev/null & echo powering-off";

export interface ShutdownOutcome {
  /** Took the command and went down in time. */
  readonly down: readonly number[];
  /** Did not take the command: not waited for. */
  readonly skipped: readonly number[];
  /** Took the command but still answered at the timeout: cut anyway. */
  readonly timedOut: readonly number[];
}

export interface ShutdownOptions {
  readonly timeoutMs: number;
  /** Between two looks at whether a Pi is down. */
  readonly pollMs: number;
}

export const DEFAULT_SHUTDOWN: ShutdownOptions = { timeoutMs: 60_000, pollMs: 1_000 };

type ShutdownContext = Pick<RackContext, 'ssh' | 'relay' | 'isReachable' | 'clock' | 'now' | 'signal' | 'log' | 'rack'>;

async function isDown(node: NodeSpec, ctx: ShutdownContext): Promise<boolean> {
  if (ctx.relay.halted) return ctx.relay.halted(node.id);
  return !(await ctx.isReachable(node.ip, ctx.signal));
}

export async function shutdownPis(nodes: readonly NodeSpec[], ctx: ShutdownContext, options = DEFAULT_SHUTDOWN): Promise<ShutdownOutcome> {
  const port = ctx.rack.ssh.port;
  const sent = await Promise.all(
    nodes.map(async (node) => {
      try {
        const r = await ctx.ssh.exec(
          { node: node.id, host: node.ip, port },
          POWEROFF_COMMAND,
          // A dead Pi must not hold the cut for a whole exec timeout.
          { timeoutMs: Math.min(10_000, ctx.rack.ssh.execTimeoutMs), signal: ctx.signal },
        );
        return r.exitCode === 0;
      } catch {
        return false;
      }
    }),
  );
  const skipped = nodes.filter((_, i) => !sent[i]).map((n) => n.id);
  let waiting = nodes.filter((_, i) => sent[i]);
  for (const node of waiting) ctx.ssh.forget(node.id);
  const down: number[] = [];
  const deadline = ctx.now() + options.timeoutMs;
  for (;;) {
    const gone = await Promise.all(waiting.map((n) => isDown(n, ctx).catch(() => false)));
    down.push(...waiting.filter((_, i) => gone[i]).map((n) => n.id));
    waiting = waiting.filter((_, i) => !gone[i]);
    if (waiting.length === 0 || ctx.now() >= deadline || ctx.signal.aborted) break;
    await ctx.clock.sleep(Math.min(options.pollMs, deadline - ctx.now()), ctx.signal).catch(() => undefined);
  }
  const outcome = { down, skipped, timedOut: waiting.map((n) => n.id) };
  ctx.log.info(outcome, 'graceful shutdown before the relay cut');
  return outcome;
}

/** One line for the event: "shut down pi 3, 4; not reachable: pi 5; still up after 60 s: pi 6". */
export function describeShutdown(o: ShutdownOutcome, timeoutMs: number): string {
  const parts = [
    o.down.length > 0 ? `shut down pi ${o.down.join(', ')}` : '',
    o.skipped.length > 0 ? `not reachable, cut hard: pi ${o.skipped.join(', ')}` : '',
    o.timedOut.length > 0 ? `still up after ${Math.round(timeoutMs / 1000)} s, cut anyway: pi ${o.timedOut.join(', ')}` : '',
  ].filter(Boolean);
  return parts.join('; ') || 'no Pi to shut down';
}
