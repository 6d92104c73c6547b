/**
 * Maintenance mode: an operator's hold on the rack, a stack or a Pi, with who and why. A hold is
 * desired state with a source, like a power override, but it says "do nothing here" instead of
 * "be so": the loop runs no pass of a held key (no probe, no relay read, no change), and a hold
 * reaches the relay and enlistment wherever they would touch what is held:
 *
 * | hold on | Pi keys held | stack keys held (power, policy cycles) | enlistment held |
 * |---|---|---|---|
 * | rack | every Pi | every stack | every stack |
 * | stack N | the Pis of N | stack N | stack N |
 * | pi P (of stack N) | pi P | stack N (switching it would switch P) | stack N |
 *
 * An enlistment switches off every stack that still has unbound Pis, so while any of those is
 * held no enlistment runs at all.
 *
 * Pure values; src/state/maintenance-file.ts keeps them in the state dir, so a restarted daemon
 * is still held.
 */
import type { RackSpec } from '../model/desired.ts';
import type { OperatorMark } from './controller.ts';
import { parseKey, piKey, stackKey, type WorkKey } from './keys.ts';

export type HoldTarget =
  { readonly scope: 'rack' } | { readonly scope: 'stack'; readonly id: number } | { readonly scope: 'pi'; readonly id: number };

export type Hold = HoldTarget & OperatorMark & { readonly reason: string };

export interface MaintenanceState {
  readonly holds: readonly Hold[];
}

export const emptyMaintenance: MaintenanceState = { holds: [] };

/** `rack`, `stack 2`, `pi 7`: the way events and the status name a target. */
export function holdTargetLabel(t: HoldTarget): string {
  return t.scope === 'rack' ? 'rack' : `${t.scope} ${t.id}`;
}

function sameTarget(a: HoldTarget, b: HoldTarget): boolean {
  return a.scope === b.scope && (a.scope === 'rack' || a.id === (b as { id: number }).id);
}

/** Adds a hold, replacing one on the same target (the newer reason and author win). */
export function addHold(state: MaintenanceState, hold: Hold): MaintenanceState {
  return { holds: [...state.holds.filter((h) => !sameTarget(h, hold)), hold] };
}

/** Lifts the hold on exactly this target; `removed` is undefined when there was none. */
export function removeHold(state: MaintenanceState, target: HoldTarget): { state: MaintenanceState; removed?: Hold } {
  const removed = state.holds.find((h) => sameTarget(h, target));
  return removed ? { state: { holds: state.holds.filter((h) => h !== removed) }, removed } : { state };
}

function stackOfPi(rack: RackSpec, id: number): number | undefined {
  return rack.nodes.find((n) => n.id === id)?.stack;
}

/** The hold that stops a pass of the relay of stack `id` or its enlistment, if any. */
export function holdOnStack(state: MaintenanceState, rack: RackSpec, id: number): Hold | undefined {
  return state.holds.find(
    (h) => h.scope === 'rack' || (h.scope === 'stack' && h.id === id) || (h.scope === 'pi' && stackOfPi(rack, h.id) === id),
  );
}

/** The hold that stops a pass of this key, if any. */
export function holdOnKey(state: MaintenanceState, rack: RackSpec, key: WorkKey): Hold | undefined {
  if (state.holds.length === 0) return undefined;
  const parsed = parseKey(key);
  if (parsed.scope === 'rack') return state.holds.find((h) => h.scope === 'rack');
  if (parsed.scope === 'stack') return holdOnStack(state, rack, parsed.id);
  const stack = stackOfPi(rack, parsed.id);
  return state.holds.find((h) => h.scope === 'rack' || (h.scope === 'stack' && h.id === stack) || (h.scope === 'pi' && h.id === parsed.id));
}

/** The keys a lifted hold frees, to look at them again at once. */
export function keysOfTarget(rack: RackSpec, t: HoldTarget): WorkKey[] {
  if (t.scope === 'rack') return [];
  if (t.scope === 'stack') return [stackKey(t.id), ...rack.nodes.filter((n) => n.stack === t.id).map((n) => piKey(n.id))];
  const stack = stackOfPi(rack, t.id);
  return [piKey(t.id), ...(stack !== undefined ? [stackKey(stack)] : [])];
}

/** One line for a person: "stack 2 suspended by alice at …: swapping SD cards". */
export function describeHold(h: Hold): string {
  return `${holdTargetLabel(h)} suspended by ${h.by} at ${new Date(h.at).toISOString()}${h.reason ? `: ${h.reason}` : ''}`;
}
