/**
 * Operator overrides are desired state with a source: a layer over rack.yaml. A `power on|off`
 * from the API or the CLI holds for its stack until the next rack.yaml revision (declarative
 * state wins again) or an explicit clear; every key of the loop sees it (the stack keeps the
 * override's power, its Pis show PoweredOff instead of Unreachable). A power-cycle or an
 * "enlist now" request is a one-off mark the next pass of its key honours and clears.
 * Pure values; src/state/operator-file.ts keeps them in the state dir.
 */
import type { PowerState, RackSpec } from '../model/desired.ts';
import type { OperatorMark, RackDesired, StackDesired } from './controller.ts';

export interface PowerOverride extends OperatorMark {
  readonly stack: number;
  readonly power: PowerState;
  /** The rack.yaml revision it was set against; a new revision lifts it. */
  readonly revision: string;
}

export interface OperatorState {
  readonly overrides: readonly PowerOverride[];
  readonly cycleRequests: readonly (OperatorMark & { readonly stack: number })[];
  readonly enlistRequest?: OperatorMark;
}

export const emptyOperatorState: OperatorState = { overrides: [], cycleRequests: [] };

export function setPowerOverride(state: OperatorState, override: PowerOverride): OperatorState {
  return { ...state, overrides: [...state.overrides.filter((o) => o.stack !== override.stack), override] };
}

/** Clears the overrides of `stacks` (all when absent). */
export function clearPowerOverrides(state: OperatorState, stacks?: readonly number[]): OperatorState {
  return { ...state, overrides: stacks ? state.overrides.filter((o) => !stacks.includes(o.stack)) : [] };
}

export function requestCycle(state: OperatorState, stack: number, mark: OperatorMark): OperatorState {
  return { ...state, cycleRequests: [...state.cycleRequests.filter((c) => c.stack !== stack), { stack, ...mark }] };
}

export function clearCycleRequest(state: OperatorState, stack: number, upTo: number): OperatorState {
  return { ...state, cycleRequests: state.cycleRequests.filter((c) => c.stack !== stack || c.at > upTo) };
}

export function requestEnlist(state: OperatorState, mark: OperatorMark): OperatorState {
  return { ...state, enlistRequest: mark };
}

/** Drops the overrides set against another revision: the newer rack.yaml says what it wants. */
export function liftStale(state: OperatorState, revision: string): OperatorState {
  const kept = state.overrides.filter((o) => o.revision === revision);
  return kept.length === state.overrides.length ? state : { ...state, overrides: kept };
}

/** The rack as every key sees it: rack.yaml's stacks with the overrides' power. */
export function effectiveRack(rack: RackSpec, state: OperatorState): RackDesired {
  const byStack = new Map(state.overrides.filter((o) => o.revision === rack.revision).map((o) => [o.stack, o]));
  const stacks =
    byStack.size === 0 ? rack.stacks : rack.stacks.map((s) => (byStack.has(s.id) ? { ...s, power: byStack.get(s.id)!.power } : s));
  return { ...rack, stacks, ...(state.enlistRequest ? { enlistRequest: state.enlistRequest } : {}) };
}

/** One stack as its key plans it. */
export function stackDesired(rack: RackSpec, state: OperatorState, stack: number): StackDesired | undefined {
  const spec = rack.stacks.find((s) => s.id === stack);
  if (!spec) return undefined;
  const override = state.overrides.find((o) => o.stack === stack && o.revision === rack.revision);
  const cycle = state.cycleRequests.find((c) => c.stack === stack);
  return {
    ...spec,
    ...(override
      ? { power: override.power, override: { by: override.by, at: override.at, ...(override.hard ? { hard: true } : {}) } }
      : {}),
    ...(cycle ? { cycleRequest: { by: cycle.by, at: cycle.at, ...(cycle.hard ? { hard: true } : {}) } } : {}),
  };
}

/** Who wants `stack` off: the override's author, or rack.yaml; undefined when it is wanted on. */
export function poweredOffBy(rack: RackSpec, state: OperatorState, stack: number): string | undefined {
  const desired = stackDesired(rack, state, stack);
  if (!desired || desired.power !== 'off') return undefined;
  return desired.override ? desired.override.by : 'rack.yaml';
}
