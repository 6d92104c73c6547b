/**
 * The supervised reboot: read the Pi's boot id, send the reboot detached from the SSH session,
 * see the Pi go down (its boot id changes: a Pi that answers with the old one has not rebooted
 * yet), wait for it to come back, then for it to be Ready again. A Pi that does not come back, or
 * is not Ready, within its timeout fails with a message that says which, and since when.
 * Effects (SSH, the clock, the readiness check) come in through `RebootDeps`.
 */
import type { NodeSpec } from '../model/desired.ts';
import { isPiRackError } from '../errors.ts';
import type { SshRunner } from '../ssh/types.ts';
import type { Clock } from '../util/clock.ts';

export const BOOT_ID_COMMAND = 'cat /proc/sys/kernel/random/boot_id';

/** Whether the Pi is Ready: its pass found nothing to do (the daemon's loop or a CLI observe pass). */
export type ReadyCheck = (node: NodeSpec, signal: AbortSignal) => Promise<{ readonly ready: boolean; readonly reason: string }>;

/** What a pass of one Pi left, as `runNodes` reports it. */
interface PassAnswer {
  readonly error?: { readonly message: string };
  readonly remaining: readonly unknown[];
}

/**
 * Ready means a pass of the Pi finds nothing left to do. The daemon and `pirack run` without one
 * judge it the same way; `pendingAdvice` says what to do about changes still pending.
 */
export function readyByPass(runNodes: (ids: readonly number[]) => Promise<readonly PassAnswer[]>, pendingAdvice: string): ReadyCheck {
  return async (node) => {
    const [result] = await runNodes([node.id]);
    if (!result) return { ready: false, reason: 'no pass ran' };
    if (result.error) return { ready: false, reason: result.error.message };
    return result.remaining.length === 0
      ? { ready: true, reason: 'in sync' }
      : { ready: false, reason: `${result.remaining.length} change(s) ${pendingAdvice}` };
  };
}

export interface RebootDeps {
  readonly ssh: SshRunner;
  readonly port: number;
  readonly clock: Clock;
  readonly ready: ReadyCheck;
}

export interface WaitLimits {
  /** From sending the reboot until the Pi answers with a new boot id. Default 180 s. */
  readonly backTimeoutMs?: number;
  /** From then until it is Ready (and between batches). Default 120 s. */
  readonly readyTimeoutMs?: number;
  /** Between two looks. Default 1 s. */
  readonly pollMs?: number;
}

export const DEFAULT_BACK_TIMEOUT_MS = 180_000;
export const DEFAULT_READY_TIMEOUT_MS = 120_000;

/** What a step on one Pi came to: ok or not, and a line for a person. */
export interface StepOutcome {
  readonly ok: boolean;
  readonly data: string;
  readonly bootIdBefore?: string;
  readonly bootIdAfter?: string;
}

export type RebootPhase = 'rebooting' | 'down' | 'back' | 'ready';

export async function readBootId(
  deps: Pick<RebootDeps, 'ssh' | 'port'>,
  node: NodeSpec,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string> {
  const r = await deps.ssh.exec({ node: node.id, host: node.ip, port: deps.port }, BOOT_ID_COMMAND, {
    timeoutMs,
    ...(signal ? { signal } : {}),
  });
  const id = r.stdout.trim();
  if (r.exitCode !== 0 || !/^[0-9a-f-]{36}$/.test(id))
    throw new Error(`cannot read the boot id (exit ${r.exitCode}: ${r.stderr.trim().slice(0, 120)})`);
  return id;
}

function reasonOf(err: unknown): string {
  return isPiRackError(err) ? err.message : err instanceof Error ? err.message : String(err);
}

/** Polls `ready` until it says so or `timeoutMs` passes. */
export async function waitReady(
  node: NodeSpec,
  deps: Pick<RebootDeps, 'clock' | 'ready'>,
  timeoutMs: number,
  pollMs: number,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const deadline = deps.clock.now() + timeoutMs;
  let last = 'not looked at yet';
  for (;;) {
    try {
      const verdict = await deps.ready(node, signal);
      if (verdict.ready) return { ok: true, data: 'Ready' };
      last = verdict.reason;
    } catch (err) {
      if (signal.aborted) throw err;
      last = reasonOf(err);
    }
    if (deps.clock.now() + pollMs > deadline)
      return { ok: false, data: `pi ${node.id} was not Ready within ${Math.round(timeoutMs / 1000)} s (last: ${last})` };
    await deps.clock.sleep(pollMs, signal);
  }
}

/** Reboots one Pi and waits until it is back and Ready. Never throws for the Pi's failures. */
export async function supervisedReboot(
  node: NodeSpec,
  command: string,
  deps: RebootDeps,
  limits: WaitLimits,
  signal: AbortSignal,
  onPhase: (phase: RebootPhase) => void = () => {},
): Promise<StepOutcome> {
  const backTimeoutMs = limits.backTimeoutMs ?? DEFAULT_BACK_TIMEOUT_MS;
  const pollMs = limits.pollMs ?? 1000;
  const target = { node: node.id, host: node.ip, port: deps.port };
  let before: string;
  try {
    before = await readBootId(deps, node, 15_000, signal);
  } catch (err) {
    return { ok: false, data: `pi ${node.id}: not rebooted: ${reasonOf(err)}` };
  }
  try {
    const sent = await deps.ssh.exec(target, command, { timeoutMs: 15_000, signal });
    if (sent.exitCode !== 0)
      return {
        ok: false,
        data: `pi ${node.id}: the reboot command exited ${sent.exitCode}: ${sent.stderr.trim().slice(0, 200)}`,
        bootIdBefore: before,
      };
  } catch (err) {
    // The connection may drop as the Pi goes down: only a boot id that never changes says it did not reboot.
    if (signal.aborted) throw err;
  }
  onPhase('rebooting');
  deps.ssh.forget(node.id);
  const sentAt = deps.clock.now();
  let wentDown = false;
  let after: string | undefined;
  while (after === undefined) {
    await deps.clock.sleep(pollMs, signal);
    // A fresh connection each time: the pool's reconnect backoff would otherwise delay seeing it back.
    deps.ssh.forget(node.id);
    try {
      const id = await readBootId(deps, node, 5_000, signal);
      if (id !== before) after = id;
    } catch {
      if (signal.aborted) throw signal.reason;
      if (!wentDown) onPhase('down');
      wentDown = true;
    }
    if (after === undefined && deps.clock.now() - sentAt > backTimeoutMs) {
      return {
        ok: false,
        bootIdBefore: before,
        data: wentDown
          ? `pi ${node.id} went down after the reboot and did not come back within ${Math.round(backTimeoutMs / 1000)} s; look at its console or power`
          : `pi ${node.id} still answers with its old boot id ${Math.round(backTimeoutMs / 1000)} s after the reboot was sent: it did not reboot`,
      };
    }
  }
  onPhase('back');
  const ready = await waitReady(node, deps, limits.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, pollMs, signal);
  if (!ready.ok) return { ...ready, bootIdBefore: before, bootIdAfter: after };
  onPhase('ready');
  return {
    ok: true,
    data: `rebooted in ${Math.round((deps.clock.now() - sentAt) / 1000)} s, Ready (boot id ${after.slice(0, 8)})`,
    bootIdBefore: before,
    bootIdAfter: after,
  };
}
