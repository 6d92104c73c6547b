/**
 * One pass over one Pi: observe (one SSH round trip), plan (pure), apply in order, and observe
 * again to verify, up to `maxRounds`. The first failed step ends the pass: later steps usually
 * depend on it, and the loop retries the node with backoff.
 */
import { isPiRackError, pirackError, type PiRackError } from '../errors.ts';
import type { NodeSpec, PoliciesSpec } from '../model/desired.ts';
import type { NodeFacts } from '../model/observed.ts';
import type { NodeAction } from '../model/actions.ts';
import type { StepResult } from '../model/step.ts';
import { buildProbeScript, parseProbe } from '../probe/probe.ts';
import type { SshTarget } from '../ssh/types.ts';
import type { Effects, NodeController } from './controller.ts';
import { controllerIndex, planNode } from './plan-node.ts';

export interface NodePassDeps extends Omit<Effects, 'signal'> {
  readonly controllers: readonly NodeController[];
  readonly policies: PoliciesSpec;
  readonly sshPort: number;
  /** Called after each executed step, for events and metrics. */
  readonly onStep?: (node: NodeSpec, action: NodeAction, result: StepResult) => void;
}

export interface NodePassOptions {
  readonly dryRun?: boolean;
  readonly maxRounds?: number;
  readonly signal: AbortSignal;
}

export interface NodePassResult {
  readonly node: number;
  /** The last observation, absent when the Pi could not be probed. */
  readonly facts?: NodeFacts;
  /** What the first observation called for. */
  readonly planned: readonly NodeAction[];
  readonly applied: readonly { readonly action: NodeAction; readonly result: StepResult }[];
  /** What the last observation still calls for (empty when the Pi converged). */
  readonly remaining: readonly NodeAction[];
  readonly error?: PiRackError;
  readonly durationMs: number;
}

export function targetOf(node: NodeSpec, port: number): SshTarget {
  return { node: node.id, host: node.ip, port };
}

export async function observeNode(node: NodeSpec, deps: NodePassDeps, signal: AbortSignal): Promise<NodeFacts> {
  const script = buildProbeScript(node, deps.controllers);
  const result = await deps.ssh.exec(targetOf(node, deps.sshPort), script, { signal });
  if (result.exitCode !== 0) {
    throw pirackError('PIRACK_ERR_PROBE_GARBAGE', `probe exited with ${result.exitCode}: ${result.stderr.slice(0, 200)}`, {
      where: `pi ${node.id}`,
    });
  }
  return parseProbe(result.stdout, node, deps.controllers);
}

export async function reconcileNode(node: NodeSpec, deps: NodePassDeps, options: NodePassOptions): Promise<NodePassResult> {
  const now = () => deps.clock.now();
  const started = now();
  const log = deps.log.child({ node: node.id });
  const index = controllerIndex(deps.controllers);
  const maxRounds = options.dryRun ? 1 : (options.maxRounds ?? 3);
  const applied: { action: NodeAction; result: StepResult }[] = [];
  let planned: NodeAction[] | undefined;
  let facts: NodeFacts | undefined;
  let remaining: NodeAction[] = [];
  const finish = (error?: PiRackError): NodePassResult => ({
    node: node.id,
    ...(facts ? { facts } : {}),
    planned: planned ?? [],
    applied,
    remaining,
    ...(error ? { error } : {}),
    durationMs: now() - started,
  });

  try {
    for (let round = 0; round < maxRounds + 1; round++) {
      facts = await observeNode(node, deps, options.signal);
      remaining = planNode(node, facts, deps.controllers, now(), deps.policies);
      planned ??= remaining;
      if (remaining.length === 0 || options.dryRun || round === maxRounds) return finish();
      for (const action of remaining) {
        const controller = index.get(action.kind)!;
        const context = {
          clock: deps.clock,
          ssh: deps.ssh,
          relay: deps.relay,
          dhcp: deps.dhcp,
          emit: deps.emit,
          node,
          target: targetOf(node, deps.sshPort),
          policies: deps.policies,
          log,
          signal: options.signal,
          now,
        };
        const result = await controller.apply(action, context);
        applied.push({ action, result });
        deps.onStep?.(node, action, result);
        if (!result.ok) return finish(result.error);
        // The key is in place: the next connection must prove it works instead of the password.
        if (action.kind === 'keys-write' && deps.ssh.usedBootstrap(node.id)) deps.ssh.forget(node.id);
      }
    }
    return finish();
  } catch (err) {
    if (!isPiRackError(err)) throw err;
    log.debug({ err }, 'node pass failed');
    return finish(err);
  }
}
