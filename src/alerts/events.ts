/**
 * Which rack events an owner hears of by webhook, and in what words. Pure: the daemon feeds every
 * event of its log through `alertFor`. Throttling and under-voltage are events too: the store says
 * when a heartbeat's throttled bits newly show them, and the reconciler logs that.
 */
import type { AlertEvent } from '../model/desired.ts';
import type { RackEvent } from '../model/status.ts';

export interface Alert {
  readonly event: AlertEvent;
  /** `pi 3`, `stack 2`, `rack`. */
  readonly target: string;
  readonly message: string;
  /** ISO time it happened. */
  readonly at: string;
}

/** The alert a rack event raises, if any. */
export function alertFor(e: Pick<RackEvent, 'kind' | 'target' | 'message' | 'result' | 'at'>): Alert | undefined {
  const event = eventOf(e);
  return event ? { event, target: e.target, message: e.message, at: e.at } : undefined;
}

function eventOf(e: Pick<RackEvent, 'kind' | 'result'>): AlertEvent | undefined {
  if (e.kind === 'node-lost') return 'pi-lost';
  if (e.kind === 'node-back') return 'pi-back';
  if (e.kind === 'stack-cycle' && e.result === 'ok') return 'stack-power-cycled';
  if (e.kind === 'revision-rejected') return 'revision-rejected';
  if (e.kind.includes('quarantin')) return 'quarantine';
  if (e.kind === 'enlist-stack' && e.result === 'ok') return 'enlistment-finished';
  if (e.kind === 'under-voltage' || e.kind === 'throttling') return e.kind;
  return undefined;
}
