/** An in-memory relay that records every switch, for controller and enlistment tests. */
import type { PowerState } from '../../../src/model/desired.ts';
import type { RelayDriver } from '../../../src/relay/types.ts';

export class FakeRelay implements RelayDriver {
  readonly name = 'fake';
  readonly levels = new Map<number, PowerState | 'unknown'>();
  /** `stack:on|off@time` per switch. */
  readonly log: string[] = [];
  /** Stacks whose next set() fails. */
  readonly failing = new Set<number>();
  /** Called after every successful set (tests use it to simulate DHCP traffic). */
  onSet?: (stack: number, state: PowerState) => void;

  constructor(
    initial: Record<number, PowerState | 'unknown'> = {},
    private readonly now: () => number = () => 0,
  ) {
    for (const [k, v] of Object.entries(initial)) this.levels.set(Number(k), v);
  }

  async read(stack: number): Promise<PowerState | 'unknown'> {
    return this.levels.get(stack) ?? 'unknown';
  }

  async set(stack: number, state: PowerState): Promise<void> {
    if (this.failing.has(stack)) throw new Error(`stack ${stack} relay stuck`);
    this.levels.set(stack, state);
    this.log.push(`${stack}:${state}@${this.now()}`);
    this.onSet?.(stack, state);
  }

  /** A Pi told to power off halts at once here (src/remote/shutdown.ts asks before a cut). */
  readonly haltedAsked: number[] = [];
  async halted(node: number): Promise<boolean> {
    this.haltedAsked.push(node);
    return true;
  }

  async close(): Promise<void> {}
}
