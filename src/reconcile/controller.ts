/**
 * The one shape every node controller has (STYLE.md §1): a read-only probe fragment, a pure
 * planner and an effectful executor. Registered by hand in controllers/index.ts, in dependency
 * order: keys → packages → files → services.
 */
import type { Logger } from 'pino';
import type { NodeSpec, PoliciesSpec } from '../model/desired.ts';
import type { NodeFacts } from '../model/observed.ts';
import type { NodeAction } from '../model/actions.ts';
import type { StepResult } from '../model/step.ts';
import type { SshRunner, SshTarget } from '../ssh/types.ts';

/** Effects reach an executor only through this context (STYLE.md §7). */
export interface NodeContext {
  readonly node: NodeSpec;
  readonly target: SshTarget;
  readonly ssh: SshRunner;
  readonly policies: PoliciesSpec;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly now: () => number;
}

export type FactsKey = Exclude<keyof NodeFacts, 'system'>;

export interface NodeController<K extends FactsKey = FactsKey, A extends NodeAction = NodeAction> {
  readonly name: string;
  /** The part of NodeFacts this controller's probe fragment fills. */
  readonly facts: K;
  readonly observe: {
    /** POSIX sh printing this controller's facts; must not change anything on the Pi. */
    script(node: NodeSpec): string;
    /** Reads the fragment's output; throws PROBE_GARBAGE when it cannot. */
    parse(output: string, node: NodeSpec): NodeFacts[K];
  };
  /**
   * Pure: what to do so the node matches its spec. `planned` holds what earlier controllers
   * already planned in this pass (services restart after files they depend on change).
   */
  plan(node: NodeSpec, facts: NodeFacts, planned: readonly NodeAction[], now: number, policies: PoliciesSpec): A[];
  /** Carries out one action; returns a StepResult and throws only for programmer errors. */
  apply(action: A, ctx: NodeContext): Promise<StepResult>;
  /** The action kinds this controller executes. */
  readonly kinds: readonly A['kind'][];
}
